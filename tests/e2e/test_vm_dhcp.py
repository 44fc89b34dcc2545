"""DHCP for VMs on a hullbox network: the guest's own DHCP client (busybox
udhcpc here; it configures nothing by itself) gets the address hullbox
leased the machine, a MAC hullbox did not lease gets no answer, a second
machine gets its own, and the DHCP server goes with the last machine."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox
from .vm_guest import READY, GuestConsole, guest_files, machine_store, wait_for_log

pytestmark = pytest.mark.slow

INIT = f"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
for module in $(cat /lib/modules/order); do insmod /lib/modules/$module.ko; done
# what udhcpc runs with the answer: only then has the NIC an address
printf '#!/bin/sh\\n[ "$1" = bound ] && ifconfig $interface $ip netmask $subnet up && \
route add default gw $router && echo "router $router"\\nexit 0\\n' >/bin/dhcp-bound
chmod +x /bin/dhcp-bound
ifconfig eth0 up
echo {READY}
while true; do setsid cttyhack sh; done
"""
UDHCPC = "udhcpc -i eth0 -n -q -t 4 -T 2 -s /bin/dhcp-bound"


@pytest.fixture(scope="module")
def vmbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hullbox]:
    yield from machine_store(tmp_path_factory)


def _boot(vmbox: Hullbox, files: tuple[Path, Path], name: str) -> GuestConsole:
    kernel, initrd = files
    vmbox.ok("vm", "create", name, "--memory", "128M", "--disk", "16M", "--kernel",
             str(kernel), "--initrd", str(initrd), "--append", "quiet", "--network", "dhcpnet")
    vmbox.ok("vm", "start", name)
    machine_dir = vmbox.root / "machines" / _inspect(vmbox, name)["Id"][:12]
    wait_for_log(machine_dir / "console.log", READY)
    return GuestConsole(machine_dir / "console.sock")


def _inspect(vmbox: Hullbox, name: str) -> dict[str, object]:
    found: dict[str, object] = json.loads(vmbox.ok("vm", "inspect", name))[0]
    return found


def _endpoint(vmbox: Hullbox, name: str) -> dict[str, str]:
    settings = _inspect(vmbox, name)["NetworkSettings"]
    assert isinstance(settings, dict)
    endpoint: dict[str, str] = settings["Networks"]["dhcpnet"]
    return endpoint


def _dhcp_servers(vmbox: Hullbox) -> list[str]:
    """This store's dnsmasq processes (another test's are not counted)."""
    found = subprocess.run(["pgrep", "-f", f"dnsmasq .*{vmbox.root}/dhcp/"],
                           capture_output=True, text=True, check=False)
    return found.stdout.split()


def test_vm_on_a_network_gets_its_lease_by_dhcp(vmbox: Hullbox, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root: bridges and taps")
    files = guest_files(tmp_path, INIT, ("virtio_pci", "virtio_net"))
    vmbox.ok("network", "create", "dhcpnet")
    try:
        _dhcp(vmbox, files)
    finally:
        vmbox("vm", "rm", "-f", "d1", "d2")
        vmbox("network", "rm", "dhcpnet")
    assert _dhcp_servers(vmbox) == []
    assert not (vmbox.root / "dhcp").exists() or [
        path.name for path in (vmbox.root / "dhcp").iterdir()] == [".lock"]


def _dhcp(vmbox: Hullbox, files: tuple[Path, Path]) -> None:
    assert _dhcp_servers(vmbox) == []
    first = _boot(vmbox, files, "d1")
    try:
        assert len(_dhcp_servers(vmbox)) == 1
        endpoint = _endpoint(vmbox, "d1")
        assert "inet addr" not in first.run("ifconfig eth0")  # nothing static
        answer = first.run(UDHCPC)
        assert f"lease of {endpoint['IPAddress']} obtained" in answer, answer
        assert f"router {endpoint['Gateway']}" in answer, answer
        assert f"inet addr:{endpoint['IPAddress']}" in first.run("ifconfig eth0")
        assert "1 packets received" in first.run(f"ping -c 1 -W 20 {endpoint['Gateway']}")

        # a MAC hullbox did not lease gets no answer
        first.run("ifconfig eth0 0.0.0.0 down && ifconfig eth0 hw ether 52:54:00:de:ad:01 "
                  "&& ifconfig eth0 up")
        unknown = first.run(UDHCPC + "; echo exit=$?")
        assert "no lease, failing" in unknown and "exit=1" in unknown, unknown
        first.run(f"ifconfig eth0 down && ifconfig eth0 hw ether {endpoint['MacAddress']}")

        # a second machine joins: the running server learns its MAC
        second = _boot(vmbox, files, "d2")
        try:
            address2 = _endpoint(vmbox, "d2")["IPAddress"]
            assert address2 != endpoint["IPAddress"]
            assert len(_dhcp_servers(vmbox)) == 1
            answer = second.run(UDHCPC)
            assert f"lease of {address2} obtained" in answer, answer
        finally:
            second.close()
    finally:
        first.close()
    vmbox.ok("vm", "stop", "--time", "1", "d1")
    assert len(_dhcp_servers(vmbox)) == 1          # d2 still runs
    vmbox.ok("vm", "kill", "d2")
    assert _dhcp_servers(vmbox) == []              # gone with the last machine
    assert not (vmbox.root / "dhcp" / _network_id(vmbox)[:12]).exists()


def _network_id(vmbox: Hullbox) -> str:
    return vmbox.ok("network", "inspect", "-f", "{{.Id}}", "dhcpnet").strip()
