"""The device nodes and /dev symlinks every container gets, as runc creates them."""

from __future__ import annotations

import contextlib
import errno
import os
import stat

from hullbox.linux import mounts as m
from hullbox.oci.runtime_spec import Device
from hullbox.runtime.mounts import secure_join

#: /dev/null zero full random urandom tty: not in config.json, always created
DEFAULT_DEVICES = (
    Device("/dev/null", "c", 1, 3), Device("/dev/zero", "c", 1, 5),
    Device("/dev/full", "c", 1, 7), Device("/dev/random", "c", 1, 8),
    Device("/dev/urandom", "c", 1, 9), Device("/dev/tty", "c", 5, 0),
)
_KIND = {"c": stat.S_IFCHR, "u": stat.S_IFCHR, "b": stat.S_IFBLK, "p": stat.S_IFIFO}
_LINKS = (("/proc/self/fd", "/dev/fd"), ("/proc/self/fd/0", "/dev/stdin"),
          ("/proc/self/fd/1", "/dev/stdout"), ("/proc/self/fd/2", "/dev/stderr"),
          ("pts/ptmx", "/dev/ptmx"))


def create_device(rootfs: str, dev: Device) -> None:
    """mknod the node; where mknod is refused, bind the host's node instead."""
    dest = secure_join(rootfs, dev.path)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    try:
        os.mknod(dest, _KIND[dev.type] | dev.file_mode, os.makedev(dev.major, dev.minor))
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            return
        if exc.errno != errno.EPERM:
            raise
        os.close(os.open(dest, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0))
        m.mount(dev.path, dest, None, m.MS_BIND)
        return
    os.chown(dest, dev.uid, dev.gid)


def create_devices(rootfs: str, devices: tuple[Device, ...]) -> None:
    """The default nodes, the spec's linux.devices and the standard symlinks in rootfs/dev."""
    for dev in DEFAULT_DEVICES + devices:
        create_device(rootfs, dev)
    links: tuple[tuple[str, str], ...] = _LINKS
    if os.path.exists("/proc/kcore"):
        links = (*links, ("/proc/kcore", "/dev/core"))
    for target, path in links:
        with contextlib.suppress(FileExistsError):
            os.symlink(target, secure_join(rootfs, path))
