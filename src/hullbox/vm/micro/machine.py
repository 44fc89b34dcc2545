"""QEMU's command line for a microVM: pure, from a ``GuestSpec`` and the
descriptors of its channels.

A template boot and every restore from it must build the same machine (the
same devices in the same order), or the saved device state does not fit; so
both come from ``qemu_argv`` and differ only in the RAM mapping, the disk
behind the block device and the NIC's backend.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from hullbox.vm.accel import QEMU
from hullbox.vm.micro.guest import (
    CONSOLE,
    PORTS,
    ROOT_SERIAL,
    UPPER_SERIAL,
    VOLUME_SLOTS,
    volume_serial,
)
from hullbox.vm.micro.shares import share_argv

#: a kept container's upper disk (rootdisk.py): sparse, so the size costs
#: nothing; every one has this size, the one the template's guest probed
UPPER_SIZE = 16 << 30


@dataclass(frozen=True)
class GuestSpec:
    """One microVM: the template it comes from and, for a run, its disk and NIC."""

    kernel: str
    initrd: str
    memory_mib: int
    cpus: int
    accel: str                 # "kvm" or "tcg"
    tsc_khz: int
    ram_file: str              # the template's RAM (shared at boot, private copy on restore)
    state_file: str            # the template's device state
    console_log: str
    network: bool = False      # the machine has NICs (templates differ by it)
    nics: int = 1              # how many, with network: one per network of the container
    disk: str = ""             # a run's root disk; "" at a template boot
    disk_format: str = "raw"
    disk_volatile: bool = False  # writes go to a temporary overlay
    disk_readonly: bool = False  # an image snapshot's disk, shared by its runs
    mounted: bool = False      # restored from an image snapshot: the root is mounted
    upper: str = ""            # a kept container's own disk for its writes (with mounted)
    upper_mounted: bool = False  # restored with the upper disk mounted (keptsnap.py)
    volumes: tuple[str, ...] = ()  # volume disks, by slot (volumes.py)
    shares: tuple[str, ...] = ()  # host directories of the 9p devices, by slot (shares.py)
    shares_readonly: tuple[bool, ...] = ()
    taps: tuple[str, ...] = ()  # a run's tap device per NIC (with network)
    macs: tuple[str, ...] = ()
    netns: str = ""            # QEMU runs in this network namespace (the tap's)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> GuestSpec:
        data = json.loads(text)
        for name in ("volumes", "shares", "shares_readonly", "taps", "macs"):
            data[name] = tuple(data.get(name, ()))
        return cls(**{key: value for key, value in data.items()
                      if key in cls.__dataclass_fields__})


def kernel_append(spec: GuestSpec) -> str:
    """Quiet, on the serial console; under TCG the TSC rate and no timer check
    (see vm.cmdline.kernel_append for why)."""
    words = ["console=ttyS0", "quiet", "panic=-1", "pci=off"]
    if spec.accel != "kvm":
        words += [f"tsc_early_khz={spec.tsc_khz}"] if spec.tsc_khz else []
        words.append("no_timer_check")
    return " ".join(words)


def qemu_argv(spec: GuestSpec, ports: dict[str, int], qmp_fd: int, *, boot: bool,
              share_ram: bool | None = None) -> list[str]:
    """``ports`` maps each of guest.PORTS and CONSOLE to a connected socket QEMU inherits;
    ``boot`` is the template's first boot, else a restore (``-incoming defer``).
    ``share_ram`` (the default: at a boot) writes the guest's RAM to its file,
    as a snapshot being made must."""
    share = boot if share_ram is None else share_ram
    size = f"{spec.memory_mib}M"
    argv = [QEMU, "-name", "hullbox-microvm", "-nodefaults", "-no-user-config",
            "-display", "none", "-no-reboot",
            "-M", "microvm,acpi=on,x-option-roms=off,memory-backend=ram",
            "-m", size, "-smp", str(spec.cpus)]
    argv += ["-accel", "kvm", "-cpu", "host"] if spec.accel == "kvm" else ["-accel", "tcg"]
    # Shared while the template boots, so its RAM lands in the file; private
    # (copy on write) in a run, so runs never write the template.
    argv += ["-object", f"memory-backend-file,id=ram,size={size},"
                        f"mem-path={_escape(spec.ram_file)},share={'on' if share else 'off'}"]
    if boot:
        argv += ["-kernel", spec.kernel, "-initrd", spec.initrd, "-append", kernel_append(spec)]
    argv += ["-serial", f"file:{spec.console_log}",
             "-chardev", f"socket,id=qmp,fd={qmp_fd}", "-mon", "chardev=qmp,mode=control",
             "-device", "virtio-serial-device,max_ports=8"]
    for name in PORTS:
        argv += ["-chardev", f"socket,id={name},fd={ports[name]}",
                 "-device", f"virtserialport,chardev={name},name=hullbox.{name}"]
    argv += ["-chardev", f"socket,id={CONSOLE},fd={ports[CONSOLE]}",
             "-device", f"virtconsole,chardev={CONSOLE},name=hullbox.{CONSOLE}"]
    if boot or not spec.disk:
        argv += ["-drive", "if=none,id=root,driver=null-co,read-zeroes=on"]
    else:
        mode = ",snapshot=on" if spec.disk_volatile else ""
        mode += ",readonly=on" if spec.disk_readonly else ""
        argv += ["-drive", f"if=none,id=root,file={_escape(spec.disk)},"
                           f"format={spec.disk_format},cache=unsafe{mode}"]
    argv += ["-device", f"virtio-blk-device,drive=root,serial={ROOT_SERIAL}"]
    upper = f"file={_escape(spec.upper)},format=raw" if spec.upper and not boot else \
        f"driver=null-co,read-zeroes=on,size={UPPER_SIZE}"
    argv += ["-drive", f"if=none,id=upper,{upper},cache=unsafe",
             "-device", f"virtio-blk-device,drive=upper,serial={UPPER_SERIAL}"]
    for slot in range(VOLUME_SLOTS):
        volume = f"file={_escape(spec.volumes[slot])},format=raw" \
            if slot < len(spec.volumes) and not boot else "driver=null-co,read-zeroes=on"
        argv += ["-drive", f"if=none,id=vol{slot},{volume},cache=unsafe",
                 "-device", f"virtio-blk-device,drive=vol{slot},serial={volume_serial(slot)}"]
    argv += share_argv(spec.shares, spec.shares_readonly)
    for nic in range(spec.nics if spec.network else 0):
        run = not boot and nic < len(spec.taps)
        backend = f"tap,ifname={spec.taps[nic]},script=no,downscript=no" if run else \
            f"hubport,hubid={nic}"
        # the template's guest learns the MAC that names its NIC (template_mac)
        mac = spec.macs[nic] if run and nic < len(spec.macs) else template_mac(nic)
        argv += ["-netdev", f"{backend},id=net{nic}",
                 "-device", f"virtio-net-device,netdev=net{nic},mac={mac}"]
    if not boot:
        argv += ["-incoming", "defer"]
    return argv


def template_mac(nic: int) -> str:
    """The MAC NIC ``nic`` has in a template: a restored guest finds the
    interface of each NIC by it (the run then sets the container's)."""
    return f"02:68:62:00:00:{nic:02x}"


def _escape(value: str) -> str:
    """QEMU's option syntax doubles commas inside a value."""
    return value.replace(",", ",,")
