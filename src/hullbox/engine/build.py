"""``Engine().builds``: making images: ``build`` from a Dockerfile, ``commit``
and ``export`` of a container's filesystem."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from hullbox.engine.build_step_settings import StepSettings
from hullbox.engine.containers import ContainerService
from hullbox.engine.images import ImageService
from hullbox.errors import InvalidArgument
from hullbox.image.packlayer import Writable
from hullbox.oci import reference
from hullbox.store.images import ImageRecord
from hullbox.store.store import Store

if TYPE_CHECKING:
    from hullbox.build.progress import BuildEvent, Sink
    from hullbox.engine.build_export import BuildOutput


def _quiet(_line: str) -> None:
    pass


@dataclass
class BuildRequest:
    """What ``hullbox build`` was asked for."""

    context: Path
    dockerfile: Path | None = None  # default: CONTEXT/Dockerfile
    dockerfile_text: str | None = None  # given on stdin (-f -)
    tags: list[str] = field(default_factory=list)
    build_args: dict[str, str] = field(default_factory=dict)
    target: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    no_cache: bool = False
    pull: bool = False  # always ask the registry for FROM images, even when stored
    secrets: list[str] = field(default_factory=list)  # --secret id=NAME,src=FILE
    ssh: list[str] = field(default_factory=list)  # --ssh default|ID=SOCKET
    output: BuildOutput | None = None  # -o: the filesystem written out, not an image
    stdout: Writable | None = None  # where -o - writes
    network: str = "none"
    step: StepSettings = field(default_factory=StepSettings)  # RUN containers' limits...
    cache_from: list[str] = field(default_factory=list)  # images whose layers are cache
    squash: bool = False  # the build's new layers as one


@dataclass(frozen=True)
class BuildResult:
    """The image made and what the build noticed on the way."""

    image: ImageRecord | None  # None when -o wrote the filesystem out instead
    warnings: list[str]


class BuildService:
    """What ``hullbox build``, ``commit``, ``export`` and ``builder prune`` do."""

    def __init__(self, store: Store, images: ImageService, containers: ContainerService) -> None:
        self.store = store
        self.images = images
        self.containers = containers

    def build(self, request: BuildRequest, progress: Callable[[str], None] = _quiet, *,
              events: Sink | None = None) -> BuildResult:
        """Build the Dockerfile; ``progress`` gets docker's plain progress
        lines, or ``events`` each step's events (for a live view)."""
        from hullbox.build.progress import Progress, plain_lines
        from hullbox.engine.build_steps import run_build

        def plain(event: BuildEvent) -> None:
            for line in plain_lines(event):
                progress(line)

        if request.network not in ("none", "host", "default"):
            raise InvalidArgument(f"--network {request.network}: builds use none or host")
        tags = []
        for tag in request.tags:
            ref = reference.parse(tag)
            if ref.digest:
                raise InvalidArgument(f"tag {tag!r}: a digest cannot be a tag; give name[:tag]")
            tags.append(str(ref))
        return run_build(self.store, self.images, request, tags, Progress(events or plain))

    def prune_cache(self) -> int:
        """``builder prune``: forget the build cache and collect what it held."""
        from hullbox.build.cache import BuildCache
        from hullbox.engine.gc import collect_garbage

        count = BuildCache(self.store).prune()
        collect_garbage(self.store)
        return count

    def commit(self, container: str, ref: str | None = None, *,
               changes: list[str] | None = None, message: str = "",
               author: str = "", pause: bool = True) -> ImageRecord:
        """``commit``: the container's image plus its changes as one layer;
        with ``pause`` (Docker's default) a running container is frozen meanwhile."""
        from hullbox.engine import events
        from hullbox.engine.commit import commit_container, frozen_for_commit
        from hullbox.engine.rootless import enter
        from hullbox.engine.settings.isolation import refuse_in_microvm

        record = self.containers.get(container)
        refuse_in_microvm(record.config, record.name, "commit")
        enter()  # rootless: the files' ids as the container has them
        with frozen_for_commit(self.store, record, pause):
            image = commit_container(self.store, self.images, record, ref, changes=changes,
                                     message=message, author=author)
        events.container(self.store, record, "commit", comment=message, imageID=image.id)
        return image

    def export(self, container: str, out: Writable) -> None:
        """``export``: the container's whole root filesystem as a tar."""
        from hullbox.engine.commit import export_container
        from hullbox.engine.rootless import enter
        from hullbox.engine.settings.isolation import refuse_in_microvm

        record = self.containers.get(container)
        refuse_in_microvm(record.config, record.name, "export")
        enter()  # rootless: the files' ids as the container has them
        export_container(self.store, self.images, record, out)
