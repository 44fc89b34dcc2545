"""``Engine().builds``: making images: ``build`` from a Dockerfile, ``commit``
and ``export`` of a container's filesystem."""

from __future__ import annotations

from hullbox.engine.containers import ContainerService
from hullbox.engine.images import ImageService
from hullbox.image.packlayer import Writable
from hullbox.store.images import ImageRecord
from hullbox.store.store import Store


class BuildService:
    """What ``hullbox build``, ``commit`` and ``export`` do."""

    def __init__(self, store: Store, images: ImageService, containers: ContainerService) -> None:
        self.store = store
        self.images = images
        self.containers = containers

    def commit(self, container: str, ref: str | None = None, *,
               changes: list[str] | None = None, message: str = "",
               author: str = "") -> ImageRecord:
        """``commit``: the container's image plus its changes as one layer."""
        from hullbox.engine.commit import commit_container

        record = self.containers.get(container)
        return commit_container(self.store, self.images, record, ref, changes=changes,
                                message=message, author=author)

    def export(self, container: str, out: Writable) -> None:
        """``export``: the container's whole root filesystem as a tar."""
        from hullbox.engine.commit import export_container

        export_container(self.store, self.images, self.containers.get(container), out)
