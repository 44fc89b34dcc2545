"""A VM's devices as its guest sees them: the cloud-init seed disk, disks
plugged in and out while it runs, a NIC on a hullbox network.

One guest (Debian's cloud kernel, a busybox initramfs with the virtio
modules) boots for the module and the tests run in file order on it; the
network test boots one more."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from hullbox.network import nft

from .conftest import Hullbox
from .vm_guest import READY, GuestConsole, guest_files, machine_store, wait_for_log

pytestmark = pytest.mark.slow

INIT = f"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
mkdir -p /mnt
for module in $(cat /lib/modules/order); do insmod /lib/modules/$module.ko; done
# the address hullbox leased, as the kernel's ip= parameter gives it
ipconf=$(sed -n 's/.* ip=\\([^ ]*\\).*/\\1/p' /proc/cmdline)
if [ -n "$ipconf" ]; then
    echo "$ipconf" | tr : ' ' >/tmp/ipconf
    read -r address gateway netmask name rest </tmp/ipconf
    ifconfig eth0 "$address" netmask "$netmask" up && route add default gw "$gateway"
fi
echo {READY}
while true; do setsid cttyhack sh; done
"""
MODULES = ("virtio_pci", "virtio_blk", "isofs", "virtio_net")
USER_DATA = """#cloud-config
hostname: seeded
runcmd:
  - echo seeded-by-hullbox
"""


@pytest.fixture(scope="module")
def vmbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hullbox]:
    yield from machine_store(tmp_path_factory)


@pytest.fixture(scope="module")
def boot_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(kernel, initrd) of the test guest."""
    return guest_files(tmp_path_factory.mktemp("guest"), INIT, MODULES)


def _boot(vmbox: Hullbox, boot_files: tuple[Path, Path], name: str,
          *options: str) -> GuestConsole:
    """Create and start a guest; its console once the guest is up."""
    kernel, initrd = boot_files
    vmbox.ok("vm", "create", name, "--memory", "256M", "--disk", "256M", "--kernel",
             str(kernel), "--initrd", str(initrd), "--append", "quiet", *options)
    vmbox.ok("vm", "start", name)
    machine_dir = vmbox.root / "machines" / _id(vmbox, name)[:12]
    wait_for_log(machine_dir / "console.log", READY)
    return GuestConsole(machine_dir / "console.sock")


@pytest.fixture(scope="module")
def console(vmbox: Hullbox, boot_files: tuple[Path, Path],
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuestConsole]:
    """The console of a running guest "dev1" made with --cloud-init."""
    user_data = tmp_path_factory.mktemp("cloud") / "user-data.yaml"
    user_data.write_text(USER_DATA)
    guest = _boot(vmbox, boot_files, "dev1", "--cloud-init", str(user_data))
    yield guest
    guest.close()


def _id(vmbox: Hullbox, name: str) -> str:
    return vmbox.ok("vm", "inspect", "-f", "{{.Id}}", name).strip()


def test_cloud_init_seed_disk_in_the_guest(vmbox: Hullbox, console: GuestConsole) -> None:
    """The guest finds a disk labelled cidata holding the user-data as given
    and NoCloud meta-data naming this machine."""
    shown = _read_seed(console, "user-data meta-data")
    assert USER_DATA.replace("\n", "\r\n") in shown
    assert f"instance-id: {_id(vmbox, 'dev1')}" in shown
    assert "local-hostname: dev1" in shown
    inspected = json.loads(vmbox.ok("vm", "inspect", "dev1"))[0]["Config"]["CloudInit"]
    assert Path(inspected).name == "user-data.yaml"


def _read_seed(console: GuestConsole, files: str) -> str:
    """What the guest reads of these files on the disk labelled cidata."""
    # busybox has no blkid for ISO 9660: read the volume label where blkid
    # does (the primary volume descriptor at 32 KiB, its name at byte 40)
    found = console.run("for d in /dev/vd?; do [ \"$(dd if=$d bs=1 skip=32808 count=6 "
                        "2>/dev/null)\" = cidata ] && echo label-on-$d; done")
    seeds = [word for word in found.split() if word.startswith("label-on-/dev/vd")]
    assert len(seeds) == 1, found
    device = seeds[0].removeprefix("label-on-")
    paths = " ".join(f"/mnt/{name}" for name in files.split())
    return console.run(f"mount -t iso9660 -o ro {device} /mnt && cat {paths}; umount /mnt")


def _partitions(console: GuestConsole) -> dict[str, int]:
    """The guest's disks and their sizes in KiB."""
    shown = console.run("cat /proc/partitions")
    return {match.group(2): int(match.group(1)) for match in
            re.finditer(r"^\s*\d+\s+\d+\s+(\d+)\s+(vd[a-z]+)\s*$", shown, re.MULTILINE)}


def _wait_in_guest(console: GuestConsole, condition: str) -> None:
    """Until the shell ``condition`` holds in the guest, for a minute at most."""
    console.run(f"for i in $(seq 300); do {condition} && break; sleep 0.2; done")


def _disks(vmbox: Hullbox, name: str) -> list[str]:
    disks: list[str] = json.loads(vmbox.ok("vm", "inspect", name))[0]["Config"]["Disks"]
    return disks


def test_disk_hot_attach_and_detach(vmbox: Hullbox, console: GuestConsole,
                                    tmp_path: Path) -> None:
    """A disk attached to the running VM shows up in its guest, takes what
    the guest writes, and goes away again on detach, leaving the file."""
    extra = tmp_path / "extra.qcow2"
    vmbox.ok("vm", "disk", "create", str(extra), "24M")
    before = _partitions(console)
    assert 24576 not in before.values()
    vmbox.ok("vm", "attach", "dev1", str(extra))  # the shape of `vm disk attach`
    assert _disks(vmbox, "dev1") == [str(extra)]
    _wait_in_guest(console, "grep -q ' 24576 ' /proc/partitions")
    added = {name: size for name, size in _partitions(console).items() if name not in before}
    assert list(added.values()) == [24576], added
    device = next(iter(added))
    console.run(f"echo hot-plugged-$((6*7)) | dd of=/dev/{device} conv=fsync")

    missing = vmbox("vm", "disk", "attach", "dev1", str(tmp_path / "none.qcow2"))
    assert (missing.returncode, missing.stderr) == (
        125, f"hullbox: disk {tmp_path}/none.qcow2: no such file\n")
    vmbox.ok("vm", "pause", "dev1")
    paused = vmbox("vm", "disk", "detach", "dev1", str(extra))
    assert paused.returncode == 125 and "while it is paused" in paused.stderr
    assert len(paused.stderr.splitlines()) == 1
    vmbox.ok("vm", "resume", "dev1")
    assert _disks(vmbox, "dev1") == [str(extra)]

    vmbox.ok("vm", "disk", "detach", "dev1", str(extra))
    assert _disks(vmbox, "dev1") == []
    _wait_in_guest(console, f"! grep -q ' {device}$' /proc/partitions")
    assert device not in _partitions(console)
    # QEMU let go of the file (no lock held) and the guest's write is in it
    raw = tmp_path / "extra.raw"
    subprocess.run(["qemu-img", "convert", "-O", "raw", str(extra), str(raw)], check=True)
    assert raw.read_bytes()[:16] == b"hot-plugged-42\n\0"
    assert _state(vmbox, "dev1") == "running"


def _state(vmbox: Hullbox, name: str) -> str:
    return vmbox.ok("vm", "inspect", "-f", "{{.State.Status}}", name).strip()


def _refused(vmbox: Hullbox, *args: str) -> str:
    result = vmbox(*args)
    assert result.returncode == 125, result
    assert len(result.stderr.splitlines()) == 1, result.stderr
    return result.stderr


def test_vm_and_container_on_one_network(vmbox: Hullbox, boot_files: tuple[Path, Path],
                                         busybox_tar: Path, tmp_path: Path) -> None:
    """A VM on a hullbox network gets a tap on its bridge and an address from
    its IPAM (told to the guest on its kernel command line and in its
    cloud-init seed); a container on that network and the guest reach each
    other."""
    if os.geteuid() != 0:
        pytest.skip("needs root: bridges, taps and containers")
    vmbox.ok("import", str(busybox_tar), "busybox:latest")
    vmbox.ok("network", "create", "vmnet")
    try:
        assert "network nosuch not found" in _refused(vmbox, "vm", "create", "bad",
                                                      "--network", "nosuch")
        assert "bad" not in vmbox.ok("vm", "ls", "-q").split()
        user_data = tmp_path / "user-data"
        user_data.write_text(USER_DATA)
        _on_one_network(vmbox, boot_files, user_data)
    finally:
        vmbox("rm", "-f", "peer")
        vmbox("vm", "rm", "-f", "net1")
        vmbox("network", "rm", "vmnet")


def _on_one_network(vmbox: Hullbox, boot_files: tuple[Path, Path], user_data: Path) -> None:
    bridge = json.loads(vmbox.ok("network", "inspect", "vmnet"))[0]["Options"][
        "com.docker.network.bridge.name"]
    guest = _boot(vmbox, boot_files, "net1", "--network", "vmnet",
                  "--cloud-init", str(user_data))
    try:
        settings = json.loads(vmbox.ok("vm", "inspect", "net1"))[0]["NetworkSettings"]
        endpoint = settings["Networks"]["vmnet"]
        address, tap = endpoint["IPAddress"], endpoint["EndpointID"]
        assert Path(f"/sys/class/net/{tap}/master").resolve().name == bridge
        assert f"inet addr:{address}" in guest.run("ifconfig eth0")
        members = json.loads(vmbox.ok("network", "inspect", "vmnet"))[0]["Containers"]
        assert members[_id(vmbox, "net1")]["Name"] == "net1"
        assert members[_id(vmbox, "net1")]["IPv4Address"] == f"{address}/24"
        assert "VM net1" in _refused(vmbox, "network", "rm", "vmnet")
        listed = vmbox.ok("vm", "ls").splitlines()
        assert listed[0].split()[6] == "ADDRESSES"
        row = next(line for line in listed if line.startswith("net1 "))
        assert f" {address} (vmnet) " in row
        assert f"net1 vmnet {address} (vmnet)" in vmbox.ok(
            "vm", "ls", "--format", "{{.Name}} {{.Network}} {{.Addresses}}").splitlines()
        network_config = _read_seed(guest, "network-config")
        assert f"- {address}/24" in network_config
        assert f"macaddress: {endpoint['MacAddress']}" in network_config
        # the container reaches the VM...
        pinged = vmbox.ok("run", "--rm", "--network", "vmnet", "busybox",
                          "ping", "-c", "1", "-W", "20", address, timeout=120)
        assert "1 packets received" in pinged
        # ...and the VM the container
        vmbox.ok("run", "-d", "--name", "peer", "--network", "vmnet", "busybox",
                 "sleep", "600")
        peer = vmbox.ok("inspect", "-f", "{{.NetworkSettings.Networks.vmnet.IPAddress}}",
                        "peer").strip()
        assert "1 packets received" in guest.run(f"ping -c 1 -W 20 {peer}")
        # a container started after the VM finds it by its name
        assert "1 packets received" in vmbox.ok("exec", "peer", "ping", "-c", "1", "-W", "20",
                                                "net1", timeout=120)
    finally:
        guest.close()
    vmbox.ok("vm", "stop", "--time", "1", "net1")
    # the tap went with QEMU, the address back to the network
    assert not Path(f"/sys/class/net/{tap}").exists()
    members = json.loads(vmbox.ok("network", "inspect", "vmnet"))[0]["Containers"]
    assert [member["Name"] for member in members.values()] == ["peer"]
    assert "net1:" in vmbox.ok("vm", "ls", "--format", "{{.Name}}:{{.Addresses}}").split()
    assert vmbox.ok("vm", "inspect", "-f", "{{.Config.Network}}", "net1") == "vmnet\n"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_elements(vmbox: Hullbox, name: str) -> list[object]:
    """The nftables DNAT elements published for the VM."""
    return list(nft.tagged_port_keys(f"hullbox:{_id(vmbox, name)}"))


def test_vm_port_and_name_on_a_network(vmbox: Hullbox, boot_files: tuple[Path, Path],
                                       busybox_tar: Path) -> None:
    """-p on a VM on a hullbox network: 127.0.0.1:PORT reaches a server in the
    guest through the nftables DNAT that containers' ports use; a port taken
    is refused with nothing left; the port goes when the VM stops, is killed
    or dies. A container already running there finds the VM by its name
    while it runs."""
    if os.geteuid() != 0:
        pytest.skip("needs root: bridges, taps and nftables")
    vmbox.ok("import", str(busybox_tar), "busybox:latest")
    vmbox.ok("network", "create", "webnet")
    try:
        _published_port(vmbox, boot_files)
    finally:
        vmbox("rm", "-f", "early")
        vmbox("vm", "rm", "-f", "web1", "web2")
        vmbox("network", "rm", "webnet")


def _published_port(vmbox: Hullbox, boot_files: tuple[Path, Path]) -> None:
    port = _free_port()
    vmbox.ok("run", "-d", "--name", "early", "--network", "webnet", "busybox", "sleep", "600")
    assert " web1" not in vmbox.ok("exec", "early", "cat", "/etc/hosts")
    guest = _boot(vmbox, boot_files, "web1", "--network", "webnet",
                  "-p", f"127.0.0.1:{port}:8080")
    try:
        guest.run("mkdir -p /www && echo served-by-$((6*7)) >/www/index.html && "
                  "httpd -p 8080 -h /www")
        url = f"http://127.0.0.1:{port}/index.html"
        assert urllib.request.urlopen(url, timeout=30).read() == b"served-by-42\n"
    finally:
        guest.close()
    assert f"127.0.0.1:{port}->8080/tcp" in vmbox.ok("vm", "ls")
    address = vmbox.ok("vm", "inspect", "-f", "{{.NetworkSettings.Networks.webnet.IPAddress}}",
                       "web1").strip()
    hosts = vmbox.ok("exec", "early", "cat", "/etc/hosts").splitlines()
    assert f"{address}\tweb1 {_id(vmbox, 'web1')[:12]}" in hosts, hosts
    assert "1 packets received" in vmbox.ok("exec", "early", "ping", "-c", "1", "-W", "20",
                                            "web1", timeout=120)
    assert len(_port_elements(vmbox, "web1")) == 1

    kernel, _initrd = boot_files
    vmbox.ok("vm", "create", "web2", "--memory", "64M", "--disk", "16M", "--kernel", str(kernel),
             "--network", "webnet")
    assert _refused(vmbox, "vm", "start", "web2", "-p", f"127.0.0.1:{port}:80") == (
        f"hullbox: cannot start VM web2: host port 127.0.0.1:{port}/tcp is already "
        "forwarded to VM web1\n")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        assert "Address already in use" in _refused(
            vmbox, "vm", "start", "web2", "-p", f"127.0.0.1:{busy}:80")
    # nothing of web2 was left: no lease, no DNAT element, no port kept
    members = json.loads(vmbox.ok("network", "inspect", "webnet"))[0]["Containers"]
    assert sorted(member["Name"] for member in members.values()) == ["early", "web1"]
    assert _port_elements(vmbox, "web2") == []
    assert json.loads(vmbox.ok("vm", "inspect", "web2"))[0]["Config"]["Ports"] == []
    assert _state(vmbox, "web2") == "stopped"

    # stopped, killed, or dead (its QEMU killed behind hullbox's back): the
    # DNAT element goes and the host port is free again
    vmbox.ok("vm", "stop", "--time", "1", "web1")
    _port_gone(vmbox, port)
    vmbox.ok("vm", "start", "web1")
    assert len(_port_elements(vmbox, "web1")) == 1
    vmbox.ok("vm", "kill", "web1")
    _port_gone(vmbox, port)
    vmbox.ok("vm", "start", "web1")
    pid = int(vmbox.ok("vm", "inspect", "-f", "{{.State.Pid}}", "web1"))
    os.kill(pid, signal.SIGKILL)
    _wait_gone(pid)
    _port_gone(vmbox, port)


def _wait_gone(pid: int) -> None:
    for _ in range(200):
        try:
            if not Path(f"/proc/{pid}/cmdline").read_bytes():
                return  # a zombie: gone but for its parent's wait
        except OSError:
            return
        time.sleep(0.05)
    raise AssertionError(f"QEMU {pid} did not die")


def _port_gone(vmbox: Hullbox, port: int) -> None:
    assert "web1 stopped" in vmbox.ok("vm", "ls", "--format", "{{.Name}} {{.State}}")
    assert _port_elements(vmbox, "web1") == []
    assert " web1" not in vmbox.ok("exec", "early", "cat", "/etc/hosts")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # nothing holds the port any more
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=10).close()
