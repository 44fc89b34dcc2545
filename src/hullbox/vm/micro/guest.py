"""The microVM guest's initramfs: the host's static busybox, the virtio
modules of the guest kernel, and an init that brings up the control ports,
says ``ready`` and waits for the script of a run (script.py).

Everything up to that wait is what the template snapshot holds, so it runs
once per kernel. Under TCG every process a run starts costs tens of
milliseconds, so the init does ahead what it can: modules are loaded, the
fstab of the run's mounts is written, the signal relay runs. The block
device is unbound before the snapshot and bound by the run, so the driver
probes that run's disk, not the template's placeholder.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from hullbox.errors import NotFound
from hullbox.vm.initramfs import busybox_initramfs
from hullbox.vm.kernel import guest_modules_dir
from hullbox.vm.micro.shares import SHARE_MODULES, share_module_files

#: virtio-serial ports, in device order: host->guest script, host->guest
#: signals, the command's stdin, stdout and stderr
PORTS = ("ctl", "sig", "in", "out", "err")
#: a virtio console: a terminal in the guest (/dev/hvc0), for -t
CONSOLE = "tty"
CONSOLE_DEVICE = "/dev/hvc0"
#: loaded by init, before the snapshot
EARLY_MODULES = ("virtio_ring", "virtio", "virtio_mmio", "virtio_console", "virtio_blk",
                 "overlay")
#: loaded by init too: a template with a NIC has eth0 probed before the save
#: (a run sets the container's MAC on it; the saved state has the template's)
NET_MODULES = ("failover", "net_failover", "virtio_net")
#: the kernel filesystems of the command's root (mount -a -T)
KERNEL_FSTAB = """proc /newroot/proc proc nosuid,nodev,noexec 0 0
sysfs /newroot/sys sysfs nosuid,nodev,noexec 0 0
dev /newroot/dev devtmpfs nosuid 0 0
devpts /newroot/dev/pts devpts newinstance,ptmxmode=0666,mode=0620 0 0
shm /newroot/dev/shm tmpfs nosuid,nodev,mode=1777 0 0
"""
#: a kept container's own root disk, read-write, then the kernel filesystems
#: the block devices' serials (machine.py) and the names the init links them by
ROOT_SERIAL = "hullbox-root"
UPPER_SERIAL = "hullbox-upper"
ROOT_DEVICE = "/dev/hullbox-root"
UPPER_DEVICE = "/dev/hullbox-upper"


#: virtio-blk slots for volumes in every microVM; unbound until a run binds them
VOLUME_SLOTS = 4


def volume_serial(slot: int) -> str:
    """Volume slot N's disk: serial hullbox-volN, /dev/hullbox-volN once bound."""
    return f"hullbox-vol{slot}"


FSTAB = f"{ROOT_DEVICE} /newroot ext4 noatime 0 0\n" + KERNEL_FSTAB
#: the files every run writes; an image snapshot has them in its writable layer
ETC_FILES = ("hostname", "hosts", "resolv.conf")
#: the line that ends a run's script on the control port
END_OF_SCRIPT = "#end-of-script"
#: directories the run mounts on; the root disk is made with them
MOUNTPOINTS = ("proc", "sys", "dev", "tmp")

_WAIT_PORTS = " && ".join(f"[ -e /dev/hullbox.{port} ]" for port in PORTS)

INIT = f"""#!/bin/busybox sh
# hullbox microVM init: bring up the control ports, then run what the host sends.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
for module in {" ".join((*EARLY_MODULES, *NET_MODULES))}; do insmod /lib/modules/$module.ko; done
# 9p for live volumes (shares.py), when the kernel has it
for module in {" ".join(SHARE_MODULES)}; do
    [ -e /lib/modules/$module.ko ] && insmod /lib/modules/$module.ko
done
# udev would name the ports; there is none, so link them by the name QEMU gave
until {_WAIT_PORTS}; do
    for port in /sys/class/virtio-ports/*; do
        name=$(cat $port/name 2>/dev/null) && [ -n "$name" ] && ln -sf /dev/${{port##*/}} /dev/$name
    done
    usleep 10000
done
# devtmpfs is one instance: these show in the run's /dev as well
mkdir -p /dev/pts /dev/shm
cat >/etc/fstab <<'EOF'
{FSTAB}EOF
cat >/etc/fstab.kernel <<'EOF'
{KERNEL_FSTAB}EOF
# the run binds the root and volume disks it has; unbound now, the driver
# probes them after the restore. The upper disk stays bound (every run's has
# the same size), its cached blocks dropped: the run's disk is not the placeholder.
for blk in /sys/block/vd*; do
    read -r serial <$blk/serial; device=$(readlink $blk/device)
    if [ "$serial" = {UPPER_SERIAL} ]; then
        ln -s /dev/${{blk##*/}} {UPPER_DEVICE} && blockdev --flushbufs {UPPER_DEVICE}
    else
        echo ${{device##*/}} >/sys/bus/virtio/drivers/virtio_blk/unbind
        echo ${{device##*/}} >/run/blk-${{serial#hullbox-}}
    fi
done
mkdir -p /upper
# stop and kill reach the command whose pid the run writes to /run/child;
# WINCH ROWS COLS resizes its terminal (the kernel signals the command)
while read -r sig rows cols; do
    if [ "$sig" = WINCH ]; then stty -F {CONSOLE_DEVICE} rows "$rows" cols "$cols"
    else read -r child </run/child && kill -s "$sig" "$child"; fi
done </dev/hullbox.sig &
# bind_blk NAME: the disk of serial hullbox-NAME, as /dev/hullbox-NAME
bind_blk() {{
    read -r disk </run/blk-$1 && echo "$disk" >/sys/bus/virtio/drivers/virtio_blk/bind
    waited=0
    until [ -b /dev/hullbox-$1 ] || [ $waited = 10000 ]; do
        for blk in /sys/bus/virtio/devices/$disk/block/*; do
            [ -b /dev/${{blk##*/}} ] && ln -sf /dev/${{blk##*/}} /dev/hullbox-$1
        done
        usleep 1000; waited=$((waited+1))
    done
    [ -b /dev/hullbox-$1 ]
}}
bind_disk() {{
    bind_blk root
}}
# A kept container from an image snapshot: its writes go to its own disk,
# an overlay on the image in place of the snapshot's (whose layer is RAM).
mount_upper() {{
    umount /newroot/dev/shm /newroot/dev/pts /newroot/dev /newroot/sys /newroot/proc /newroot &&
    mount -t ext4 -o noatime {UPPER_DEVICE} /upper && mkdir -p /upper/upper /upper/work &&
    mount -t overlay -o lowerdir=/image,upperdir=/upper/upper,workdir=/upper/work \
        root /newroot && mount -a -T /etc/fstab.kernel
}}
# An image snapshot (imagesnap.py): the image's disk read-only under a tmpfs
# layer, mounted with the kernel filesystems before the save, so a run from
# it mounts nothing. The run's /etc files are in the layer already: a run
# overwrites them instead of copying them up.
mount_image() {{
    bind_disk
    mkdir -p /image /layer && mount -t ext4 -o ro,noload {ROOT_DEVICE} /image &&
    mount -t tmpfs -o mode=0755 layer /layer && mkdir /layer/upper /layer/work &&
    mount -t overlay -o lowerdir=/image,upperdir=/layer/upper,workdir=/layer/work \
        root /newroot && mount -a -T /etc/fstab.kernel || return 1
    if [ -d /newroot/etc ]; then
        for name in {" ".join(ETC_FILES)}; do : >>/newroot/etc/$name; done
    fi
}}
# One script from the host, up to its end line. The snapshots are taken
# while this waits in read, a builtin: a restored guest starts no process
# to take its script, and the functions above are parsed already.
serve() {{
    script=""
    while IFS= read -r line <&3 && [ "$line" != "{END_OF_SCRIPT}" ]; do
        script="$script$line
"
    done
    eval "$script"
}}
# The port stays open from here on: data the host sends while the guest has
# it closed may sit unread.
exec 3<>/dev/hullbox.ctl
echo ready >&3
serve
"""
def mount_upper_script() -> str:
    """The script that turns a restored image snapshot into a kept
    container's first-start snapshot (keptsnap.py)."""
    return ("if mount_upper 2>/run/mount.err; then sync; echo ready >&3; else\n"
            "    read -r why </run/mount.err; echo \"failed: $why\" >&3; fi\n"
            f"serve\n{END_OF_SCRIPT}\n")


def mount_image_script(warm: list[str]) -> str:
    """The script that turns a restored template into an image snapshot;
    ``warm`` (paths in the image) are read into the page cache the snapshot
    keeps, so a run execs them without a trip to the disk."""
    read = f"cat {' '.join(shlex.quote('/newroot' + path) for path in warm)} >/dev/null 2>&1; " \
        if warm else ""
    return (f"if mount_image 2>/run/mount.err; then {read}echo ready >&3; else\n"
            "    read -r why </run/mount.err; echo \"failed: $why\" >&3; fi\n"
            f"serve\n{END_OF_SCRIPT}\n")


def _module_files(kernel: Path) -> dict[str, Path]:
    modules = guest_modules_dir(kernel)
    if modules is None:
        raise NotFound(f"no modules next to guest kernel {kernel} (lib/modules/VERSION); "
                       "fetch both with scripts/fetch-guest-kernel.sh")
    wanted = {*EARLY_MODULES, *NET_MODULES}
    found = {path.name.removesuffix(".ko"): path for path in modules.rglob("*.ko")
             if path.name.removesuffix(".ko") in wanted}
    missing = sorted(wanted - found.keys())
    if missing:
        raise NotFound(f"guest kernel {kernel.resolve().name} has no module "
                       f"{', '.join(missing)} under {modules}")
    return {**found, **share_module_files(kernel)}


def module_depends(module: Path) -> list[str]:
    """The ``depends=`` entry of a module's .modinfo section: the modules
    insmod must have loaded first (there is no modprobe in the guest)."""
    for entry in module.read_bytes().split(b"\0"):
        if entry.startswith(b"depends="):
            return [name for name in entry[8:].decode().split(",") if name]
    return []


def check_load_order(files: dict[str, Path]) -> None:
    """The fixed load order must put each module after what it depends on."""
    order = [name for name in (*EARLY_MODULES, *NET_MODULES, *SHARE_MODULES) if name in files]
    for position, name in enumerate(order):
        for needed in module_depends(files[name]):
            if needed not in order[:position]:
                raise NotFound(f"guest module {name} needs {needed}, which hullbox does "
                               "not load before it; use the kernel from "
                               "scripts/fetch-guest-kernel.sh")


def build_initramfs(kernel: Path) -> bytes:
    """The gzip'd newc archive for ``-initrd``."""
    files = _module_files(kernel)
    check_load_order(files)
    archive = busybox_initramfs(INIT)
    archive.add_dir("newroot")
    archive.add_dir("run")
    for name, path in sorted(files.items()):
        archive.add_file(f"lib/modules/{name}.ko", path.read_bytes())
    import gzip

    return gzip.compress(archive.to_bytes(), compresslevel=1, mtime=0)
