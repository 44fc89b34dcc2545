"""``system prune``: stopped containers, unused networks, (with ``volumes``)
unused anonymous volumes, dangling images (with ``all``, every unused one)
and the build cache, in Docker's order, each through its own prune."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hullbox.engine.prune_filters import PruneFilter, rfc3339_seconds
from hullbox.errors import HullboxError, InvalidArgument

if TYPE_CHECKING:
    from hullbox.engine.engine import Engine
    from hullbox.store.images import ImageRecord


@dataclass
class SystemPruneReport:
    """What went, section by section, and the bytes freed."""

    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    untagged: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    cache: list[str] = field(default_factory=list)  # the build cache entries' IDs
    reclaimed: int = 0


def warnings(all_images: bool, volumes: bool) -> list[str]:
    """The lines of Docker's confirmation, in its order."""
    lines = ["all stopped containers", "all networks not used by at least one container"]
    if volumes:
        lines.append("all anonymous volumes not used by at least one container")
    lines.append("all images without at least one container associated to them"
                 if all_images else "all dangling images")
    lines.append("unused build cache")
    return lines


def _prune_networks(engine: Engine, filters: PruneFilter) -> list[str]:
    if not filters:
        return list(engine.networks.prune())
    from hullbox.engine.networks import PREDEFINED
    from hullbox.network import ipam

    removed = []
    for network in ipam.list_networks(engine.store):
        if network.name in PREDEFINED or not filters.admits(network.labels,
                                                                  network.created):
            continue
        if engine.networks.users(network):
            continue
        with contextlib.suppress(HullboxError):
            engine.networks.remove(network.id)
            removed.append(network.name)
    return removed


def system_prune(engine: Engine, *, all_images: bool = False, volumes: bool = False,
                 filters: PruneFilter | None = None) -> SystemPruneReport:
    """Prune each kind in turn, as ``docker system prune`` does."""
    from hullbox.engine.image_usage import prune_images

    filters = filters or PruneFilter()
    if volumes and filters.until is not None:
        raise InvalidArgument("the until filter is not supported with --volumes; "
                              "leave out one of them")
    report = SystemPruneReport()
    containers = engine.containers.prune(filters)
    report.containers, report.reclaimed = containers.deleted, containers.reclaimed
    report.networks = _prune_networks(engine, filters)
    if volumes:
        wanted = {"label": filters.labels, "label!": filters.not_labels}
        pruned = engine.volumes.prune(filters={k: v for k, v in wanted.items() if v})
        report.volumes = pruned.deleted
        report.reclaimed += pruned.space_reclaimed

    def admits(record: ImageRecord) -> bool:
        labels = engine.images.get(record.id).config.config.labels or {}
        return filters.admits(labels, rfc3339_seconds(record.created, record.added))

    images = prune_images(engine.images, all_unused=all_images,
                          admits=admits if filters else None)
    report.untagged, report.images = images.untagged, images.deleted
    report.reclaimed += images.reclaimed
    if not filters:  # the cache keeps no labels or times to filter by
        from hullbox.build.cache import BuildCache

        entries = BuildCache(engine.store).entries()
        engine.builds.prune_cache()
        report.cache = [entry.chain_id.removeprefix("sha256:") for entry in entries]
        report.reclaimed += sum(entry.size for entry in entries)
    return report
