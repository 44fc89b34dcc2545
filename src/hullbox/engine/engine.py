"""The in-process API every front end uses: the CLI, scripts, later the REST API."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from hullbox.engine.containers import ContainerService
from hullbox.engine.images import ImageService
from hullbox.store.store import Store

if TYPE_CHECKING:
    from hullbox.engine.archives import ArchiveService
    from hullbox.engine.build import BuildService
    from hullbox.engine.distribution import DistributionService
    from hullbox.engine.manifests import ManifestService
    from hullbox.engine.networks import NetworkService
    from hullbox.engine.processes import ProcessService
    from hullbox.engine.volumes import VolumeService


class Engine:
    """One hullbox store and the use cases on it.

    >>> from hullbox import Engine
    >>> Engine().containers.run("busybox", ["echo", "hi"]).output
    b'hi\\n'
    """

    def __init__(self, root: Path | str | None = None) -> None:
        self.store = Store(root)
        self.images = ImageService(self.store)
        self.containers = ContainerService(self.store, self.images)

    # The services below are made (and their modules imported) on first use:
    # every CLI command makes an Engine, and `run` or `ps` need none of them.
    @cached_property
    def distribution(self) -> DistributionService:
        """pull and push."""
        from hullbox.engine.distribution import DistributionService

        return DistributionService(self.store, self.images)

    @cached_property
    def manifests(self) -> ManifestService:
        """Local manifest lists (``manifest create/annotate/push``)."""
        from hullbox.engine.manifests import ManifestService

        return ManifestService(self.store)

    @cached_property
    def processes(self) -> ProcessService:
        """exec, top, stats, pause."""
        from hullbox.engine.processes import ProcessService

        return ProcessService(self.store, self.containers)

    @cached_property
    def volumes(self) -> VolumeService:
        """Named and anonymous volumes."""
        from hullbox.engine.volumes import VolumeService

        return VolumeService(self.store)

    @property
    def builds(self) -> BuildService:
        """Dockerfile builds; imported on first use, off the path of `run`."""
        from hullbox.engine.build import BuildService

        return BuildService(self.store, self.images, self.containers)

    @property
    def archives(self) -> ArchiveService:
        """save/load; made on first use, so other commands never import it."""
        from hullbox.engine.archives import ArchiveService

        return ArchiveService(self.store, self.images)

    @property
    def networks(self) -> NetworkService:
        """Networks: imported on first use, so other commands do not pay for it."""
        from hullbox.engine.networks import NetworkService

        return NetworkService(self.store)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
