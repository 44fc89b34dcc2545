"""A Debian 12 disk made the way a cloud image is, for the VM tests: a
minimal system with Debian's cloud kernel, systemd, cloud-init and an SSH
server, on a partitioned disk that boots on its own (syslinux in the MBR and
on a FAT boot partition, the root file system on an ext4 one).

Nothing is mounted on the host and no loop device is used: mmdebstrap builds
the tree in a mount namespace of its own (whatever it mounts there goes with
it), ``mkfs.ext4 -d`` and ``mkfs.fat`` write the file systems straight into
their partitions' offsets of the raw disk, mtools copies the kernel onto the
FAT one and syslinux installs itself through mtools too."""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import threading
from pathlib import Path

import pytest

from hullbox.vm.accel import host_tsc_khz

RELEASE = "bookworm"
MIRROR = os.environ.get("HULLBOX_DEBIAN_MIRROR", "http://deb.debian.org/debian")
#: what the genericcloud image has that these tests need: networking by
#: ifupdown and dhclient (cloud-init writes its /etc/network/interfaces.d),
#: and D-Bus, without which systemd-logind does not run and nothing acts on
#: the ACPI power button
PACKAGES = ("linux-image-cloud-amd64", "systemd-sysv", "udev", "kmod", "dbus", "cloud-init",
            "openssh-server", "ifupdown", "isc-dhcp-client")
#: the initramfs needs only what finds the root file system on a virtio disk
INITRAMFS_MODULES = ("virtio_pci", "virtio_blk", "ext4")
TOOLS = {"mmdebstrap": "mmdebstrap", "mkfs.fat": "dosfstools", "mcopy": "mtools",
         "syslinux": "syslinux", "mkfs.ext4": "e2fsprogs",
         "qemu-img": "qemu-utils"}
MBR = Path("/usr/lib/syslinux/mbr/mbr.bin")
ROOT_LABEL = "debian-root"

#: cloud-init told to look only for a NoCloud seed, and to run only the
#: modules the tests' user-data uses (each stage is a Python process and every
#: module one more import and run under emulation); one host key type, as
#: an RSA key takes long to make without KVM
CLOUD_CFG = """\
datasource_list: [ NoCloud, None ]
locale: C.UTF-8
ssh_genkeytypes: [ ed25519 ]
cloud_init_modules: [ write_files, set_hostname, update_hostname, users_groups, ssh ]
cloud_config_modules: [ runcmd ]
cloud_final_modules: [ scripts_user ]
"""

#: units a guest living minutes does not need, each one more process at boot
#: (e2scrub_reap alone took 30 s of it) or a timer that would start one
MASKED_UNITS = ("e2scrub_reap.service", "e2scrub_all.timer", "apt-daily.timer",
                "apt-daily-upgrade.timer", "dpkg-db-backup.timer", "fstrim.timer",
                "getty@tty1.service")

_SECTOR = 512
_BOOT_START = 2048              # sectors: 1 MiB, where partitioning tools start
_BOOT_SECTORS = 96 << 11        # 96 MiB: kernel and initramfs, with room for an update
_DISK_BYTES = 3 << 30           # a 3 GiB disk; cloud-init's growpart may grow it


def _setup_hook() -> str:
    """Written before any package is installed, so the kernel's postinst
    makes a small initramfs with only the modules listed."""
    modules = "\\n".join(INITRAMFS_MODULES)
    return ('mkdir -p "$1/etc/initramfs-tools/conf.d" && '
            'echo MODULES=list > "$1/etc/initramfs-tools/conf.d/hullbox.conf" && '
            f'printf "{modules}\\n" > "$1/etc/initramfs-tools/modules"')


def _kernel_command_line() -> str:
    """What the bootloader passes: the root by label and a serial console, as
    the genericcloud image's grub does, quiet (every line on the emulated
    serial port costs); under TCG emulation the TSC rate and no_timer_check
    (see vm/cmdline.py kernel_append for why)."""
    words = [f"root=LABEL={ROOT_LABEL}", "ro", "console=ttyS0", "quiet", "no_timer_check"]
    khz = host_tsc_khz()
    if khz:
        words.append(f"tsc_early_khz={khz}")
    return " ".join(words)


def recipe() -> str:
    """Everything the disk is made from; its hash names the made disk."""
    return "\n".join([RELEASE, MIRROR, *PACKAGES, *INITRAMFS_MODULES, _kernel_command_line(),
                      Path(__file__).read_text()])


def require_tools() -> None:
    for tool, package in TOOLS.items():
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install {package})")
    if not MBR.is_file():
        pytest.skip(f"no {MBR} (apt-get install syslinux-common)")
    if os.geteuid() != 0:
        pytest.skip("needs root: mmdebstrap installs packages as root in the new tree")


def debian_disk(cache: Path) -> Path:
    """The disk (qcow2) under ``cache``, made once per content of the recipe."""
    require_tools()
    key = hashlib.sha256(recipe().encode()).hexdigest()[:16]
    disk = cache / f"debian-{RELEASE}-{key}.qcow2"
    if disk.is_file():
        return disk
    work = cache / f"debian-{key}.work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        tree = work / "root"
        _bootstrap(tree)
        _configure(tree)
        raw = _assemble(tree, work)
        subprocess.run(["qemu-img", "convert", "-O", "qcow2", str(raw), str(work / "disk.qcow2")],
                       check=True)
        (work / "disk.qcow2").rename(disk)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return disk


class DiskInBackground:
    """The disk made in a thread of its own from the start of the session,
    so the minutes of download, install and mkfs overlap the other tests;
    the test that boots it waits for it with :meth:`disk`."""

    def __init__(self, cache: Path) -> None:
        self._cache = cache
        self._disk: Path | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._make, name="debian-disk")
        self._thread.start()

    def _make(self) -> None:
        try:
            self._disk = debian_disk(self._cache)
        except BaseException as error:  # a skip too: raised again in the test that waits
            self._error = error

    def disk(self) -> Path:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._disk is not None
        return self._disk

    def finish(self) -> None:
        """Wait for the build, so no mmdebstrap outlives the session."""
        self._thread.join()


def _bootstrap(tree: Path) -> None:
    """The packages, installed into ``tree`` from the Debian mirror. The tree's
    /proc, /sys and /dev mounts live in a mount namespace of their own."""
    argv = ["unshare", "--mount", "--propagation", "private",
            "mmdebstrap", "--quiet", "--mode=root", "--variant=minbase",
            "--dpkgopt=force-unsafe-io", f"--include={','.join(PACKAGES)}",
            f"--setup-hook={_setup_hook()}", RELEASE, str(tree), MIRROR]
    made = subprocess.run(argv, capture_output=True, text=True, check=False)
    if made.returncode != 0:
        raise AssertionError(f"mmdebstrap failed:\n{made.stderr[-3000:]}")


def _configure(tree: Path) -> None:
    """What a cloud image has and a bootstrap lacks: an fstab, ifupdown's
    interfaces file sourcing cloud-init's, cloud-init told to look only for a
    NoCloud seed, a locale, and no machine identity (no machine-id, no SSH host keys:
    the first boot makes its own)."""
    # no fsck pass: a fresh mkfs, and a check of it is seconds under emulation
    (tree / "etc/fstab").write_text(f"LABEL={ROOT_LABEL} / ext4 defaults 0 0\n")
    for unit in MASKED_UNITS:
        (tree / "etc/systemd/system" / unit).symlink_to("/dev/null")
    (tree / "etc/network/interfaces").write_text(
        "auto lo\niface lo inet loopback\n\nsource /etc/network/interfaces.d/*\n")
    # the locale is C.UTF-8 as in Debian's cloud images, so cloud-init has no
    # locale to generate (minbase has no locales package to do it with)
    (tree / "etc/cloud/cloud.cfg.d/90_hullbox.cfg").write_text(CLOUD_CFG)
    (tree / "etc/default/locale").write_text("LANG=C.UTF-8\n")
    (tree / "etc/hostname").write_text("localhost\n")
    (tree / "etc/machine-id").write_text("")
    for key in (tree / "etc/ssh").glob("ssh_host_*"):
        key.unlink()


def _partition(kind: int, start: int, sectors: int, active: bool = False) -> bytes:
    """An MBR partition entry addressed by LBA only (its CHS fields say
    "beyond CHS", which syslinux's MBR and the BIOS read as: use LBA)."""
    beyond = b"\xfe\xff\xff"
    return (struct.pack("<B3sB3s", 0x80 if active else 0, beyond, kind, beyond)
            + struct.pack("<II", start, sectors))


def _assemble(tree: Path, work: Path) -> Path:
    """The raw disk: an MBR with syslinux's boot code and two partitions, a
    FAT one with the kernel, initramfs and syslinux, and the ext4 root."""
    boot = tree / "boot"
    kernel = max(boot.glob("vmlinuz-*"))
    initrd = boot / kernel.name.replace("vmlinuz-", "initrd.img-")
    raw = work / "disk.raw"
    with raw.open("wb") as handle:
        handle.truncate(_DISK_BYTES)
    root_start = _BOOT_START + _BOOT_SECTORS
    with raw.open("r+b") as handle:
        handle.write(MBR.read_bytes()[:440])  # the boot code; the table follows it
        handle.seek(446)
        handle.write(_partition(0x0E, _BOOT_START, _BOOT_SECTORS, active=True)
                     + _partition(0x83, root_start, _DISK_BYTES // _SECTOR - root_start)
                     + bytes(32) + b"\x55\xaa")
    boot_offset = _BOOT_START * _SECTOR
    subprocess.run(["mkfs.fat", "-F", "16", "-h", str(_BOOT_START), "-n", "BOOT",
                    f"--offset={_BOOT_START}", str(raw), str(_BOOT_SECTORS * _SECTOR // 1024)],
                   check=True, capture_output=True)
    image = f"{raw}@@{boot_offset}"
    config = (f"DEFAULT debian\nPROMPT 0\nTIMEOUT 0\nLABEL debian\n"
              f"  LINUX /vmlinuz\n  INITRD /initrd.img\n  APPEND {_kernel_command_line()}\n")
    (work / "syslinux.cfg").write_text(config)
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    for source, name in ((kernel, "vmlinuz"), (initrd, "initrd.img"),
                         (work / "syslinux.cfg", "syslinux.cfg")):
        subprocess.run(["mcopy", "-i", image, str(source), f"::{name}"], check=True, env=env)
    subprocess.run(["syslinux", "--install", f"--offset={boot_offset}", str(raw)], check=True)
    root_bytes = _DISK_BYTES - root_start * _SECTOR
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", ROOT_LABEL, "-d", str(tree),
                    "-E", f"offset={root_start * _SECTOR}", str(raw),
                    f"{root_bytes // 1024}k"], check=True)
    return raw
