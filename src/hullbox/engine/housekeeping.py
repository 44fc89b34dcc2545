"""Renaming containers and pruning the stopped ones (``rename``, ``container prune``)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from hullbox.engine.names import validate_name
from hullbox.errors import Conflict, HullboxError, InvalidArgument
from hullbox.store import containers as container_db

if TYPE_CHECKING:
    from hullbox.engine.containers import ContainerService
    from hullbox.store.containers import ContainerRecord


def rename(service: ContainerService, name_or_id: str, new_name: str) -> None:
    """Give a container (running or not) a new name; Conflict when it is taken."""
    if not new_name:
        raise InvalidArgument("a new container name is required: hullbox rename OLD NEW")
    name = validate_name(new_name)
    record = service.get(name_or_id)
    if record.name == name:
        raise InvalidArgument(
            f"renaming container {record.name} to its current name: choose another name"
        )
    try:
        container_db.update(service.store, record.id, name=name)
    except sqlite3.IntegrityError:
        owner = container_db.find(service.store, name)
        owner_id = owner[0].id[:12] if owner else "?"
        raise Conflict(
            f'container name "/{name}" is already in use by container {owner_id}; '
            "remove or rename that container, or choose another name"
        ) from None
    from hullbox.engine import events

    events.container(service.store, replace(record, name=name), "rename",
                     oldName="/" + record.name)


def tree_size(path: Path) -> int:
    """Bytes of the files under ``path`` (hard links once): the container's
    writable layer, Docker's SizeRw."""
    total, seen = 0, set()
    for directory, _dirs, files in os.walk(path):
        for name in files:
            try:
                info = os.lstat(os.path.join(directory, name))
            except OSError:
                continue
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                total += info.st_size
    return total


@dataclass
class PruneReport:
    """What ``container prune`` removed and the bytes it freed."""

    deleted: list[str] = field(default_factory=list)
    reclaimed: int = 0


def prune(service: ContainerService,
          selected: Callable[[ContainerRecord], bool] | None = None) -> PruneReport:
    """Remove every container that is not running (created or exited), as
    Docker does, of those ``selected`` lets through (prune --filter); one
    that starts meanwhile is left alone."""
    from hullbox.engine.rootfs import ContainerPaths

    report = PruneReport()
    for record in service.list(all=True):
        if record.state not in ("created", "exited"):
            continue
        if selected is not None and not selected(record):
            continue
        size = tree_size(ContainerPaths(service.store.container_dir(record.id)).upper)
        try:
            service.remove(record.id)
        except HullboxError:
            continue  # started or removed by another command since the listing
        report.deleted.append(record.id)
        report.reclaimed += size
    return report
