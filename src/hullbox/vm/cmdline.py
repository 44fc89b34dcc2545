"""The QEMU command line of a machine: pure, from its definition and paths."""

from __future__ import annotations

from hullbox.vm.accel import QEMU, Accel
from hullbox.vm.config import MachineConfig
from hullbox.vm.layout import MachinePaths


def kernel_append(config: MachineConfig, accel: Accel, tsc_khz: int) -> str:
    """The guest kernel command line: the user's, plus a serial console (so
    ``vm console`` shows the boot) and, under TCG, the TSC rate, without which
    a guest's TSC calibration can hang, and ``no_timer_check``: on a busy host
    an emulated guest can miss the IO-APIC timer check ("8254 timer not
    connected") and hang there."""
    words = config.append.split()
    if not any(word.startswith("console=") for word in words):
        words.append("console=ttyS0")
    if not accel.is_kvm:
        if tsc_khz and not any(word.startswith("tsc_early_khz=") for word in words):
            words.append(f"tsc_early_khz={tsc_khz}")
        if "no_timer_check" not in words:
            words.append("no_timer_check")
    return " ".join(words)


def qemu_argv(name: str, config: MachineConfig, paths: MachinePaths, accel: Accel,
              tsc_khz: int, loadvm: str = "") -> list[str]:
    """Everything QEMU needs: no display, the serial port on a socket with a
    log, QMP on a socket, virtio disks and NIC, user-mode NAT."""
    argv = [QEMU, "-name", f"{name},process=hullbox-vm-{name}", "-machine", "q35",
            "-nodefaults", "-no-user-config", "-display", "none",
            "-smp", str(config.cpus), "-m", f"{config.memory_mib}M"]
    argv += ["-accel", "kvm", "-cpu", "host"] if accel.is_kvm else ["-accel", "tcg"]
    argv += ["-chardev", f"socket,id=console,path={paths.console_socket},server=on,wait=off,"
                         f"logfile={paths.console_log},logappend=on",
             "-serial", "chardev:console",
             "-qmp", f"unix:{paths.qmp_socket},server=on,wait=off"]
    argv += ["-drive", f"file={_escape(str(paths.disk))},if=virtio,format=qcow2,id=disk0"]
    for index, disk in enumerate(config.disks, start=1):
        argv += ["-drive", f"file={_escape(disk)},if=virtio,id=disk{index}"]
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
    netdev = "user,id=net0" + "".join(f",hostfwd={port.hostfwd()}" for port in config.ports)
    argv += ["-netdev", netdev, "-device", "virtio-net-pci,netdev=net0,romfile="]
    if config.kernel:
        argv += ["-kernel", config.kernel, "-append", kernel_append(config, accel, tsc_khz)]
        if config.initrd:
            argv += ["-initrd", config.initrd]
    if loadvm:
        argv += ["-loadvm", loadvm]
    return argv


def _escape(value: str) -> str:
    """QEMU's option syntax doubles commas inside a value."""
    return value.replace(",", ",,")
