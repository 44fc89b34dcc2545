"""Removing the microVM files of images that are gone: each image's ext4
disk (rootdisk.py) and its snapshots (imagesnap.py), so ``rmi``, ``image
prune`` and ``system prune`` leave nothing of an image in the store.

The templates are per kernel and settings, not per image: they stay.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from hullbox.vm.micro.imagesnap import images_dir
from hullbox.vm.micro.rootdisk import rootfs_dir

#: how many hex digits of the image id an image snapshot's directory ends with
_SNAPSHOT_ID_DIGITS = 24


def remove_unused_image_files(root: Path, live_image_ids: Iterable[str]) -> list[Path]:
    """Delete the disks and snapshots of every image not in ``live_image_ids``
    (ids with or without ``sha256:``); returns what was deleted. A run using
    one keeps its open copy (the files are unlinked, not truncated)."""
    live = {image_id.removeprefix("sha256:") for image_id in live_image_ids}
    short = {image_id[:_SNAPSHOT_ID_DIGITS] for image_id in live}
    removed: list[Path] = []
    disks = rootfs_dir(root)
    if disks.is_dir():
        for path in disks.iterdir():
            # IMAGE_ID.ext4, or .IMAGE_ID.ext4.PID while one is being made
            image_id = path.name.lstrip(".").split(".", 1)[0]
            if image_id not in live:
                _remove(path)
                removed.append(path)
    snapshots = images_dir(root)
    if snapshots.is_dir():
        for path in snapshots.iterdir():
            # TEMPLATEKEY-ID24, .TEMPLATEKEY-ID24.PID (being made), TEMPLATEKEY-ID24.lock
            image_id = path.name.lstrip(".").split(".", 1)[0].rsplit("-", 1)[-1]
            if image_id not in short:
                _remove(path)
                removed.append(path)
    return removed


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
