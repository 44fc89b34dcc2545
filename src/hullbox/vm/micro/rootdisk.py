"""An image's rootfs as a disk for its microVMs, made without root tricks:
``mkfs.ext4 -d`` copies a directory tree (owners, modes, links, device
nodes) into a new filesystem in a sparse file.

    ROOT/microvm/rootfs/IMAGE_ID.ext4    one per image, read-only once made

    CONTAINER_DIR/vm-upper.ext4          a kept container's writes (keptsnap.py)

A kept container gets a disk of its own that the guest mounts as the upper
layer of an overlay on the image's (its writes, kept across starts, like a
container's upper directory); a ``--rm`` one writes to the guest's RAM.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from hullbox.errors import MachineFailure
from hullbox.vm.micro.guest import MOUNTPOINTS
from hullbox.vm.micro.machine import UPPER_SIZE

_MIN_SIZE = 1 << 30
_HEADROOM = 256 << 20


def rootfs_dir(root: Path) -> Path:
    return root / "microvm" / "rootfs"


def _tree_size(top: Path) -> tuple[int, int]:
    """(bytes, entries) under ``top``, not following links."""
    total, entries = 0, 0
    for dirpath, dirnames, filenames in os.walk(top):
        for name in (*dirnames, *filenames):
            entries += 1
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
    return total, entries


def tree_geometry(tree: Path) -> tuple[int, int]:
    """(bytes, inodes) of an ext4 made from ``tree``: room to write in, as a
    container has; sparse, so unused room costs nothing."""
    content, entries = _tree_size(tree)
    return max(_MIN_SIZE, 2 * content + _HEADROOM), max(65536, 2 * entries)


def image_disk(root: Path, image_id: str, tree: Path) -> Path:
    """The ext4 disk of an image, made from ``tree`` (its merged rootfs) the
    first time; later runs of the image reuse it."""
    disk = rootfs_dir(root) / f"{image_id.removeprefix('sha256:')}.ext4"
    if disk.is_file():
        return disk
    if shutil.which("mkfs.ext4") is None:
        raise MachineFailure("mkfs.ext4 not found; install e2fsprogs")
    disk.parent.mkdir(parents=True, exist_ok=True)
    for name in MOUNTPOINTS:  # the guest mounts there; runc makes them the same way
        (tree / name).mkdir(mode=0o755, exist_ok=True)
    size, inodes = tree_geometry(tree)
    partial = disk.with_name(f".{disk.name}.{os.getpid()}")
    try:
        with partial.open("wb") as handle:
            handle.truncate(size)
        result = subprocess.run(
            ["mkfs.ext4", "-q", "-F", "-L", "hullbox-root", "-J", "size=4",
             "-N", str(inodes), "-E", "root_owner=0:0",
             "-d", str(tree), str(partial)],
            capture_output=True, text=True, check=False)
        if result.returncode != 0:
            detail = (result.stderr.strip().splitlines() or ["failed"])[-1]
            raise MachineFailure(f"make the microVM disk of image {image_id[:19]}: {detail}")
        partial.chmod(0o444)
        os.replace(partial, disk)
    finally:
        partial.unlink(missing_ok=True)
    return disk


def legacy_container_disk(container_dir: Path) -> Path | None:
    """The qcow2 overlay on the image's disk that kept containers made before
    they had an upper disk: such a container keeps using its writes there."""
    disk = container_dir / "vm-disk.qcow2"
    return disk if disk.is_file() else None


def make_upper_disk(disk: Path) -> None:
    """An empty ext4 of machine.UPPER_SIZE in a sparse file: a kept
    container's disk for the writes over its image (keptsnap.py)."""
    if shutil.which("mkfs.ext4") is None:
        raise MachineFailure("mkfs.ext4 not found; install e2fsprogs")
    with disk.open("wb") as handle:
        handle.truncate(UPPER_SIZE)
    result = subprocess.run(
        ["mkfs.ext4", "-q", "-F", "-L", "hullbox-upper", "-J", "size=4",
         "-E", "root_owner=0:0", str(disk)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["failed"])[-1]
        raise MachineFailure(f"make the microVM container disk: {detail}")
