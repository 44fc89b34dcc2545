"""Filling an empty volume from the image, as Docker does when a volume is
mounted over a directory that has content in the image: owners, modes,
times, symlinks, hard links and device nodes are kept."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from hullbox.runtime.mounts import secure_join


def _is_empty(path: Path) -> bool:
    with os.scandir(path) as entries:
        return next(entries, None) is None


def copy_up(rootfs: Path, destination: str, volume_data: Path) -> bool:
    """Copy the rootfs directory at ``destination`` into ``volume_data`` when
    the volume is empty; True if it did. Symlinks in the image are resolved
    under ``rootfs`` and never followed out of it."""
    source = secure_join(str(rootfs), destination)
    try:
        info = os.lstat(source)
    except (FileNotFoundError, NotADirectoryError):
        return False
    if not stat.S_ISDIR(info.st_mode) or not _is_empty(volume_data):
        return False
    _copy_tree(source, str(volume_data), {})
    _copy_metadata(str(volume_data), info)
    return True


def _copy_metadata(path: str, info: os.stat_result) -> None:
    os.lchown(path, info.st_uid, info.st_gid)
    if not stat.S_ISLNK(info.st_mode):  # chown drops setuid bits: mode after it
        os.chmod(path, stat.S_IMODE(info.st_mode))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns), follow_symlinks=False)


def _copy_file(source: str, target: str) -> None:
    import shutil  # lazily: every `run` imports this module, few copy up a volume

    fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as src, open(target, "xb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)


def _copy_tree(source: str, target: str, links: dict[tuple[int, int], str]) -> None:
    """Copy the entries of directory ``source`` into the existing ``target``;
    ``links`` maps (device, inode) of files with several names to their copy."""
    with os.scandir(source) as entries:
        children = list(entries)
    for entry in children:
        src = os.path.join(source, entry.name)
        dst = os.path.join(target, entry.name)
        info = os.lstat(src)
        mode = info.st_mode
        key = (info.st_dev, info.st_ino)
        if stat.S_ISDIR(mode):
            os.mkdir(dst, 0o700)
            _copy_tree(src, dst, links)
        elif stat.S_ISLNK(mode):
            os.symlink(os.readlink(src), dst)
        elif stat.S_ISREG(mode):
            if info.st_nlink > 1 and key in links:
                os.link(links[key], dst)
                continue
            _copy_file(src, dst)
            if info.st_nlink > 1:
                links[key] = dst
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode):
            os.mknod(dst, mode, info.st_rdev)
        else:
            continue  # a socket means nothing without its process
        _copy_metadata(dst, info)
        _copy_xattrs(src, dst)


def _copy_xattrs(source: str, target: str) -> None:
    """Extended attributes such as file capabilities; overlayfs's own (trusted.
    overlay.*) describe the layer, not the file, and stay behind."""
    with contextlib.suppress(OSError):
        for name in os.listxattr(source, follow_symlinks=False):
            if name.startswith("trusted.overlay."):
                continue
            with contextlib.suppress(OSError):
                os.setxattr(target, name, os.getxattr(source, name, follow_symlinks=False),
                            follow_symlinks=False)
