"""The QEMU command line and the values users type for machines."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullbox.errors import InvalidArgument
from hullbox.vm.accel import Accel
from hullbox.vm.cmdline import BridgedNic, data_disk_id, qemu_argv
from hullbox.vm.config import MachineConfig, PortForward
from hullbox.vm.console import _partial_suffix, parse_detach_keys
from hullbox.vm.layout import MachinePaths

TCG = Accel("tcg", "test")
KVM = Accel("kvm", "test")


def _argv(config: MachineConfig, accel: Accel = TCG, loadvm: str = "") -> list[str]:
    return qemu_argv("deb", config, MachinePaths(Path("/s/machines/abc")), accel, 2445428, loadvm,
                     {"/d/extra.qcow2": "qcow2"})


def _value(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_tcg_guest_is_told_the_tsc_rate_and_gets_a_serial_console() -> None:
    argv = _argv(MachineConfig(kernel="/k", initrd="/i", append="quiet"))
    assert _value(argv, "-accel") == "tcg"
    assert _value(argv, "-append") == (
        "quiet console=ttyS0 tsc_early_khz=2445428 no_timer_check")
    assert _value(argv, "-initrd") == "/i"


def test_kvm_guest_uses_the_host_cpu_and_keeps_a_given_console() -> None:
    argv = _argv(MachineConfig(kernel="/k", append="console=hvc0"), KVM)
    assert argv[argv.index("-accel"):argv.index("-accel") + 4] == ["-accel", "kvm", "-cpu", "host"]
    assert _value(argv, "-append") == "console=hvc0"


def test_sockets_disks_ports_and_saved_state() -> None:
    config = MachineConfig(cpus=2, memory_mib=1024, iso="/isos/a,b.iso",
                           disks=["/d/extra.qcow2", "/d/raw,disk"], cloud_init="/u",
                           ports=[PortForward.parse("127.0.0.1:2222:22")])
    argv = _argv(config, loadvm="clean")
    assert _value(argv, "-smp") == "2" and _value(argv, "-m") == "1024M"
    assert _value(argv, "-qmp") == "unix:/s/machines/abc/qmp.sock,server=on,wait=off"
    assert "logfile=/s/machines/abc/console.log" in _value(argv, "-chardev")
    drives = [argv[i + 1] for i, arg in enumerate(argv) if arg == "-drive"]
    assert drives == ["file=/s/machines/abc/disk.qcow2,if=virtio,format=qcow2,id=disk0",
                      "file=/s/machines/abc/seed.iso,if=virtio,format=raw,readonly=on,id=seed",
                      "file=/isos/a,,b.iso,media=cdrom,readonly=on"]
    # data disks each on a PCIe root port, so they can be unplugged while
    # running; the same 8 ports whatever the disks, so saved states fit
    extra, raw = data_disk_id("/d/extra.qcow2"), data_disk_id("/d/raw,disk")
    assert [argv[i + 1] for i, arg in enumerate(argv) if arg == "-blockdev"] == [
        f"node-name={extra},driver=qcow2,file.driver=file,file.filename=/d/extra.qcow2",
        f"node-name={raw},driver=raw,file.driver=file,file.filename=/d/raw,,disk"]
    devices = [argv[i + 1] for i, arg in enumerate(argv) if arg == "-device"]
    ports = [device for device in devices if device.startswith("pcie-root-port,")]
    assert ports[0] == "pcie-root-port,id=port0,chassis=1" and len(ports) == 8
    assert f"virtio-blk-pci,drive={extra},id={extra},bus=port0" in devices
    assert f"virtio-blk-pci,drive={raw},id={raw},bus=port1" in devices
    assert _value(argv, "-netdev") == "user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22"
    assert _value(argv, "-loadvm") == "clean"
    assert "-kernel" not in argv


def test_port_forwards() -> None:
    assert str(PortForward.parse("2222:22")) == "0.0.0.0:2222->22/tcp"
    assert PortForward.parse("127.0.0.1:53:53/udp").hostfwd() == "udp:127.0.0.1:53-:53"
    wildcard, local = PortForward.parse("8080:80"), PortForward.parse("127.0.0.1:8080:443")
    assert wildcard.clashes_with(local)
    assert not local.clashes_with(PortForward.parse("127.0.0.2:8080:80"))
    for bad in ("22", "a:b", "70000:22", "[::1]:22:22"):
        with pytest.raises(InvalidArgument):
            PortForward.parse(bad)


def test_config_round_trips_through_json() -> None:
    config = MachineConfig(cpus=3, ports=[PortForward.parse("1:2")], disks=["/x"])
    assert MachineConfig.from_json(config.to_json()) == config


def test_detach_keys() -> None:
    keys = parse_detach_keys("ctrl-p,ctrl-q")
    assert keys == b"\x10\x11"
    assert parse_detach_keys("ctrl-],x") == b"\x1dx"
    assert _partial_suffix(b"ls\x10", keys) == 1
    assert _partial_suffix(b"ls", keys) == 0
    with pytest.raises(InvalidArgument):
        parse_detach_keys("alt-x")


def test_a_machine_on_a_network_gets_a_tap_its_address_and_starts_paused() -> None:
    nic = BridgedNic("hbvm0123456789a", "52:54:00:01:23:45",
                     "ip=10.89.3.2::10.89.3.1:255.255.255.0:deb::off")
    argv = qemu_argv("deb", MachineConfig(kernel="/k", append="quiet"),
                     MachinePaths(Path("/s/machines/abc")), TCG, 0, nic=nic)
    assert _value(argv, "-netdev") == "tap,id=net0,ifname=hbvm0123456789a,script=no,downscript=no"
    assert "virtio-net-pci,netdev=net0,mac=52:54:00:01:23:45,romfile=" in argv
    assert "-S" in argv  # until the tap is on the bridge
    assert _value(argv, "-append") == (
        "quiet console=ttyS0 ip=10.89.3.2::10.89.3.1:255.255.255.0:deb::off no_timer_check")
    # an ip= the user gave wins
    own = qemu_argv("deb", MachineConfig(kernel="/k", append="ip=dhcp"),
                    MachinePaths(Path("/s/machines/abc")), TCG, 0, nic=nic)
    assert _value(own, "-append") == "ip=dhcp console=ttyS0 no_timer_check"
