"""The QEMU command line of a machine: pure, from its definition and paths."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from hullbox.vm.accel import QEMU, Accel
from hullbox.vm.config import MachineConfig
from hullbox.vm.layout import MachinePaths


@dataclass(frozen=True)
class BridgedNic:
    """The NIC of a machine on a hullbox network (bridged.py)."""

    tap: str
    mac: str
    kernel_ip: str      # the kernel's ``ip=`` parameter with its lease


def kernel_append(config: MachineConfig, accel: Accel, tsc_khz: int, ip: str = "") -> str:
    """The guest kernel command line: the user's, plus a serial console (so
    ``vm console`` shows the boot), the address on its network (``ip``) and,
    under TCG, the TSC rate, without which a guest's TSC calibration can
    hang, and ``no_timer_check``: on a busy host an emulated guest can miss
    the IO-APIC timer check ("8254 timer not connected") and hang there."""
    words = config.append.split()
    if not any(word.startswith("console=") for word in words):
        words.append("console=ttyS0")
    if ip and not any(word.startswith("ip=") for word in words):
        words.append(ip)
    if not accel.is_kvm:
        if tsc_khz and not any(word.startswith("tsc_early_khz=") for word in words):
            words.append(f"tsc_early_khz={tsc_khz}")
        if "no_timer_check" not in words:
            words.append("no_timer_check")
    return " ".join(words)


#: PCIe root ports every machine gets, one per data disk: a disk on one can be
#: unplugged while the machine runs (pcie.0 has no hotplug), and an empty one
#: takes a disk attached while it runs. Their number is fixed so that a saved
#: machine state always finds the same devices.
DATA_DISK_PORTS = 8


def data_disk_id(path: str) -> str:
    """The block node and device name of a data disk; the same at a cold
    start and a hot attach, so either can be detached while running."""
    return "data-" + hashlib.sha256(path.encode()).hexdigest()[:12]


def data_disk_port(index: int) -> str:
    return f"port{index}"


def _data_disks(disks: list[str], formats: Mapping[str, str]) -> list[str]:
    argv: list[str] = []
    for index in range(DATA_DISK_PORTS):
        argv += ["-device", f"pcie-root-port,id={data_disk_port(index)},chassis={index + 1}"]
    for index, disk in enumerate(disks):
        node = data_disk_id(disk)
        argv += ["-blockdev", f"node-name={node},driver={formats.get(disk, 'raw')},"
                              f"file.driver=file,file.filename={_escape(disk)}",
                 "-device", f"virtio-blk-pci,drive={node},id={node},"
                            f"bus={data_disk_port(index)}"]
    return argv


def qemu_argv(name: str, config: MachineConfig, paths: MachinePaths, accel: Accel,
              tsc_khz: int, loadvm: str = "",
              disk_formats: Mapping[str, str] | None = None,
              nic: BridgedNic | None = None) -> list[str]:
    """Everything QEMU needs: no display, the serial port on a socket with a
    log, QMP on a socket, virtio disks and NIC: user-mode NAT, or with ``nic``
    a tap (QEMU then starts paused, until the tap is on its bridge). Data
    disks are opened with the format in ``disk_formats`` (raw if not there)."""
    argv = [QEMU, "-name", f"{name},process=hullbox-vm-{name}", "-machine", "q35",
            "-nodefaults", "-no-user-config", "-display", "none",
            "-smp", str(config.cpus), "-m", f"{config.memory_mib}M"]
    argv += ["-accel", "kvm", "-cpu", "host"] if accel.is_kvm else ["-accel", "tcg"]
    argv += ["-chardev", f"socket,id=console,path={paths.console_socket},server=on,wait=off,"
                         f"logfile={paths.console_log},logappend=on",
             "-serial", "chardev:console",
             "-qmp", f"unix:{paths.qmp_socket},server=on,wait=off"]
    argv += ["-drive", f"file={_escape(str(paths.disk))},if=virtio,format=qcow2,id=disk0"]
    argv += _data_disks(config.disks, disk_formats or {})
    if config.cloud_init:
        # read-only, so savevm (which needs every writable disk to be qcow2)
        # passes it by; cloud-init finds it by its label whatever its name
        argv += ["-drive", f"file={_escape(str(paths.seed))},if=virtio,format=raw,"
                           "readonly=on,id=seed"]
    if config.iso:
        argv += ["-drive", f"file={_escape(config.iso)},media=cdrom,readonly=on",
                 "-boot", "order=cd"]
    # romfile= leaves out the NIC's iPXE option ROM: nothing here boots from
    # the network, and initialising it costs seconds under TCG.
    if nic is None:
        netdev = "user,id=net0" + "".join(f",hostfwd={port.hostfwd()}"
                                          for port in config.ports)
        argv += ["-netdev", netdev, "-device", "virtio-net-pci,netdev=net0,romfile="]
    else:
        argv += ["-netdev", f"tap,id=net0,ifname={nic.tap},script=no,downscript=no",
                 "-device", f"virtio-net-pci,netdev=net0,mac={nic.mac},romfile=", "-S"]
    if config.kernel:
        append = kernel_append(config, accel, tsc_khz, nic.kernel_ip if nic else "")
        argv += ["-kernel", config.kernel, "-append", append]
        if config.initrd:
            argv += ["-initrd", config.initrd]
    if loadvm:
        argv += ["-loadvm", loadvm]
    return argv


def _escape(value: str) -> str:
    """QEMU's option syntax doubles commas inside a value."""
    return value.replace(",", ",,")
