"""``diff``: what a container changed in its filesystem, from its overlay
upper dir, reported as Docker's overlay driver does (archive.OverlayChanges):
``A`` added, ``C`` changed (or the parent of a change), ``D`` deleted (a
whiteout), in path order, parents before their contents."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hullbox.engine.images import ImageService
from hullbox.engine.rootfs import ContainerPaths
from hullbox.store.containers import ContainerRecord
from hullbox.store.store import Store

ADDED, CHANGED, DELETED = "A", "C", "D"


@dataclass(frozen=True)
class Change:
    kind: str
    path: str


def _walk(top: Path, relative: str = "") -> Iterator[tuple[str, os.stat_result]]:
    """Every entry below ``top``, lexically, a directory before its contents."""
    try:
        names = sorted(os.listdir(top / relative if relative else top))
    except OSError:
        return
    for name in names:
        path = f"{relative}/{name}" if relative else name
        try:
            info = os.lstat(top / path)
        except OSError:
            continue
        yield path, info
        if stat.S_ISDIR(info.st_mode):
            yield from _walk(top, path)


def _is_whiteout(info: os.stat_result) -> bool:
    return stat.S_ISCHR(info.st_mode) and info.st_rdev == 0


def _same_dir(new: os.stat_result, old: os.stat_result) -> bool:
    return (new.st_size == old.st_size and new.st_mode == old.st_mode
            and int(new.st_mtime) == int(old.st_mtime))


def container_changes(store: Store, images: ImageService, record: ContainerRecord) -> list[Change]:
    """The container's changes against its image's layers."""
    from hullbox.engine.commit import runtime_mount_points

    image = images.get(record.image_id)
    lowers = [store.layer_dir(c) for c in reversed(image.layer_chain_ids())]
    paths = ContainerPaths(store.container_dir(record.id))
    made_for_mounts = runtime_mount_points(store, image, paths)
    changes: list[Change] = []
    changed_dirs: set[str] = set()
    for path, info in _walk(paths.upper):
        if path in made_for_mounts:
            continue
        kind = ADDED
        if _is_whiteout(info):
            kind = DELETED
        else:
            old = next((found for lower in lowers
                        if (found := _lstat(lower / path)) is not None), None)
            if old is not None:
                if stat.S_ISDIR(old.st_mode) and stat.S_ISDIR(info.st_mode) \
                        and _same_dir(info, old):
                    continue  # only the way to a change: its parent line comes below
                kind = CHANGED
        if stat.S_ISDIR(info.st_mode):
            changed_dirs.add(path)
        parent = os.path.dirname(path)
        if kind in (ADDED, DELETED) and parent and parent not in changed_dirs:
            changes.append(Change(CHANGED, "/" + parent))
            changed_dirs.add(parent)
        changes.append(Change(kind, "/" + path))
    return changes


def _lstat(path: Path) -> os.stat_result | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return None if _is_whiteout(info) else info
