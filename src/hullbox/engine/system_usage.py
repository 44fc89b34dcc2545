"""``system df``: the volume and build-cache rows, and ``system df -v``'s
detail: each image (shared and unique size), container, volume and cache
entry, as Docker's /system/df reports them."""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hullbox.errors import HullboxError
from hullbox.oci.digest import chain_ids
from hullbox.store import containers as container_db
from hullbox.store import images as image_db
from hullbox.store.store import Store

if TYPE_CHECKING:
    from hullbox.build.cache import CachedLayer
    from hullbox.engine.engine import Engine
    from hullbox.store.containers import ContainerRecord
    from hullbox.store.images import ImageRecord


@dataclass(frozen=True)
class ImageUsage:
    record: ImageRecord
    shared: int  # bytes of layers another image has too
    containers: int

    @property
    def unique(self) -> int:
        return max(0, self.record.size - self.shared)


@dataclass(frozen=True)
class ContainerUsage:
    record: ContainerRecord
    size: int  # its writable layer (SizeRw)
    volumes: int


@dataclass(frozen=True)
class VolumeUsage:
    name: str
    links: int
    size: int


@dataclass(frozen=True)
class Usage:
    images: list[ImageUsage]
    containers: list[ContainerUsage]
    volumes: list[VolumeUsage]
    cache: list[CachedLayer]


def _layers(store: Store, record: ImageRecord, chains: dict[str, list[tuple[str, int]]]
            ) -> list[tuple[str, int]]:
    """(chain id, size) of each layer of the image, read once."""
    if record.id not in chains:
        chains[record.id] = []
        with contextlib.suppress(HullboxError, OSError, ValueError, KeyError):
            config = json.loads(store.read_blob(record.id))
            ids = chain_ids(config.get("rootfs", {}).get("diff_ids", []))
            if ids:
                chains[record.id] = [(layer.chain_id, layer.size)
                                     for layer in image_db.layer_chain(store, ids[-1])]
    return chains[record.id]


def usage(engine: Engine) -> Usage:
    """Everything ``system df -v`` lists."""
    from hullbox.build.cache import BuildCache
    from hullbox.engine.container_size import container_size
    from hullbox.volume import local, records

    store = engine.store
    images = image_db.list_images(store)
    containers = container_db.list_all(store)
    chains: dict[str, list[tuple[str, int]]] = {}
    holders = Counter(chain for image in images for chain, _ in _layers(store, image, chains))
    used_by = Counter(c.image_id for c in containers)
    image_rows = [ImageUsage(image, sum(size for chain, size in _layers(store, image, chains)
                                        if holders[chain] > 1), used_by[image.id])
                  for image in images]
    links = records.users(store.db)
    mounts = Counter(cid for holders_of in links.values() for cid, _ in holders_of)
    container_rows = [ContainerUsage(c, container_size(store, c).rw, mounts[c.id])
                      for c in containers]
    volume_rows = [VolumeUsage(v.name, len(links.get(v.name, [])),
                               local.disk_usage(local.data_dir(store, v.name)))
                   for v in records.list_all(store)]
    return Usage(image_rows, container_rows, volume_rows, BuildCache(store).entries())
