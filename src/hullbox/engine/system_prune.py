"""``system prune``: stopped containers, unused networks, (with ``volumes``)
unused anonymous volumes, dangling images (with ``all``, every unused one)
and the build cache, in Docker's order, each through its own prune, with
the prune filters (engine/prune_filters.py) applied to each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from hullbox.engine.filters import split_filters
from hullbox.engine.prune_filters import PRUNE_KEYS, prune_matcher, rfc3339_seconds
from hullbox.errors import InvalidArgument

if TYPE_CHECKING:
    from hullbox.engine.engine import Engine
    from hullbox.network.ipam import Network
    from hullbox.store.containers import ContainerRecord
    from hullbox.store.images import ImageRecord

T = TypeVar("T")


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


def check_filters(filters: tuple[str, ...], volumes: bool) -> list[str]:
    """The filters, checked (one line, exit 125, naming a bad one), as
    Docker's confirmation lists them: sorted ``key=value``."""
    parsed = split_filters(filters, PRUNE_KEYS)
    prune_matcher(filters, lambda _x: 0.0, lambda _x: {})  # a bad until= fails here
    if volumes and "until" in parsed:
        raise InvalidArgument("the until filter is not supported with --volumes; "
                              "leave out one of them")
    return sorted(f"{key}={value}" for key, values in parsed.items() for value in values)


def _matcher(filters: tuple[str, ...], created: Callable[[T], float],
             labels: Callable[[T], dict[str, str]]) -> Callable[[T], bool] | None:
    return prune_matcher(filters, created, labels) if filters else None


def system_prune(engine: Engine, *, all_images: bool = False, volumes: bool = False,
                 filters: tuple[str, ...] = ()) -> SystemPruneReport:
    """Prune each kind in turn, as ``docker system prune`` does."""
    from hullbox.engine.image_usage import prune_images

    check_filters(filters, volumes)
    report = SystemPruneReport()

    def container_labels(record: ContainerRecord) -> dict[str, str]:
        return dict(record.config.get("labels") or {})

    containers = engine.containers.prune(
        _matcher(filters, lambda r: r.created, container_labels))
    report.containers, report.reclaimed = containers.deleted, containers.reclaimed

    def network_labels(network: Network) -> dict[str, str]:
        return network.labels

    report.networks = list(engine.networks.prune(
        _matcher(filters, lambda n: n.created, network_labels)))
    if volumes:
        labels = split_filters(filters, PRUNE_KEYS)
        pruned = engine.volumes.prune(filters={k: v for k, v in labels.items() if k != "until"})
        report.volumes = pruned.deleted
        report.reclaimed += pruned.space_reclaimed

    def image_labels(record: ImageRecord) -> dict[str, str]:
        return engine.images.get(record.id).config.config.labels or {}

    images = prune_images(engine.images, all_unused=all_images, selected=_matcher(
        filters, lambda r: rfc3339_seconds(r.created) or r.added, image_labels))
    report.untagged, report.images = images.untagged, images.deleted
    report.reclaimed += images.reclaimed
    if not filters:  # the cache keeps no labels to filter by
        from hullbox.build.cache import BuildCache

        entries = BuildCache(engine.store).entries()
        engine.builds.prune_cache()
        report.cache = [entry.chain_id.removeprefix("sha256:") for entry in entries]
        report.reclaimed += sum(entry.size for entry in entries)
    return report
