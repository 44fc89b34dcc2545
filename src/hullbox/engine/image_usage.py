"""What images are made of and what they cost: ``image history``, ``image
prune`` and ``system df``."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hullbox.engine.images import ImageService
from hullbox.store import containers as container_db
from hullbox.store import images as image_db
from hullbox.store.images import ImageRecord
from hullbox.store.store import Store


@dataclass(frozen=True)
class HistoryEntry:
    """One step of an image's history, newest first as Docker lists them."""

    image_id: str  # the image's ID on the top row, "<missing>" below it
    created: str
    created_by: str
    size: int
    comment: str
    empty_layer: bool


@dataclass(frozen=True)
class PruneReport:
    deleted: list[str]
    untagged: list[str]
    reclaimed: int


@dataclass(frozen=True)
class UsageRow:
    """One line of ``system df``."""

    kind: str
    total: int
    active: int
    size: int
    reclaimable: int


def history(images: ImageService, name: str) -> list[HistoryEntry]:
    image = images.get(name)
    chain = list(reversed(image_db.layer_chain(images.store, image.layer_chain_ids()[-1])))
    sizes = [layer.size for layer in chain] if image.layer_chain_ids() else []
    entries: list[HistoryEntry] = []
    layer_index = 0
    for step in image.config.history:
        empty = bool(step.get("empty_layer"))
        size = 0
        if not empty and layer_index < len(sizes):
            size = sizes[layer_index]
            layer_index += 1
        entries.append(HistoryEntry("<missing>", str(step.get("created", "")),
                                    str(step.get("created_by", "")), size,
                                    str(step.get("comment", "")), empty))
    entries.reverse()
    if entries:
        top = entries[0]
        entries[0] = HistoryEntry(image.id, top.created, top.created_by, top.size, top.comment,
                                  top.empty_layer)
    return entries


def _images_in_use(store: Store) -> set[str]:
    return {c.image_id for c in container_db.list_all(store)}


def prune_images(images: ImageService, *, all_unused: bool = False,
                 selected: Callable[[ImageRecord], bool] | None = None) -> PruneReport:
    """Remove dangling images (no tag), or with ``all_unused`` every image no
    container uses, of those ``selected`` lets through (prune --filter);
    then collect the layers and blobs nothing references."""
    from hullbox.engine.gc import collect_garbage
    from hullbox.oci import reference

    store = images.store
    in_use = _images_in_use(store)
    deleted: list[str] = []
    untagged: list[str] = []
    reclaimed = 0
    before = _store_bytes(store)
    for record in image_db.list_images(store):
        if record.id in in_use or (record.tags and not all_unused):
            continue
        if selected is not None and not selected(record):
            continue
        untagged += [reference.parse(t).familiar for t in record.tags]
        image_db.remove_image_record(store, record.id)
        deleted.append(record.id)
    if deleted:
        collect_garbage(store)
        reclaimed = max(0, before - _store_bytes(store))
    return PruneReport(deleted, untagged, reclaimed)


def _store_bytes(store: Store) -> int:
    return _tree_bytes(store.layers_dir) + _tree_bytes(store.blobs_dir)


def _tree_bytes(path: Path) -> int:
    """Bytes of the regular files under ``path``, each inode once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            key = (st.st_dev, st.st_ino)
            if key not in seen:
                seen.add(key)
                total += st.st_size
    return total


def disk_usage(images: ImageService) -> list[UsageRow]:
    """``system df``: images (by unpacked size) and containers (by the size
    of their writable layers)."""
    store = images.store
    records: list[ImageRecord] = image_db.list_images(store)
    in_use = _images_in_use(store)
    image_size = sum(r.size for r in records)
    unused_size = sum(r.size for r in records if r.id not in in_use)
    containers = container_db.list_all(store)
    active = [c for c in containers if c.state in ("running", "restarting")]
    sizes = {c.id: _tree_bytes(store.container_dir(c.id) / "upper") for c in containers}
    return [
        UsageRow("Images", len(records), len({c.image_id for c in containers}), image_size,
                 unused_size),
        UsageRow("Containers", len(containers), len(active), sum(sizes.values()),
                 sum(size for cid, size in sizes.items()
                     if cid not in {c.id for c in active})),
    ]
