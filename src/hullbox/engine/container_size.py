"""What a container's files take (``ps -s``, ``inspect -s``, ``system df -v``):
Docker's SizeRw, the bytes of its writable layer, and SizeRootFs, those plus
its image's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hullbox.store import images as image_db

if TYPE_CHECKING:
    from hullbox.store.containers import ContainerRecord
    from hullbox.store.store import Store


@dataclass(frozen=True)
class ContainerSize:
    rw: int
    root_fs: int


def container_size(store: Store, record: ContainerRecord) -> ContainerSize:
    from hullbox.engine.housekeeping import tree_size
    from hullbox.engine.rootfs import ContainerPaths

    rw = tree_size(ContainerPaths(store.container_dir(record.id)).upper)
    image = image_db.get_image(store, record.image_id)
    return ContainerSize(rw, rw + (image.size if image is not None else 0))
