"""Volume use cases: ``hullbox volume create/ls/inspect/rm/prune``."""

from __future__ import annotations

import builtins
import datetime
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hullbox.engine import events
from hullbox.engine.filters import label_matches, require_boolean, split_filters
from hullbox.errors import Conflict, InvalidArgument, VolumeNotFound
from hullbox.store.store import Store
from hullbox.volume import local, records
from hullbox.volume.names import ANONYMOUS_LABEL, new_anonymous_name, validate_volume_name
from hullbox.volume.records import VolumeRecord

FILTER_KEYS = ("dangling", "driver", "label", "name")
PRUNE_FILTER_KEYS = ("label", "label!", "all")


@dataclass(frozen=True)
class PruneReport:
    """What ``volume prune`` removed and the bytes their files took."""

    deleted: list[str]
    space_reclaimed: int


def create_volume(store: Store, name: str, *, driver: str = local.DRIVER,
                  options: dict[str, str] | None = None,
                  labels: dict[str, str] | None = None) -> tuple[VolumeRecord, bool]:
    """The volume ``name``, made unless it exists; True when made now. As in
    Docker, creating an existing volume of the same driver returns it."""
    validate_volume_name(name)
    if driver != local.DRIVER:
        raise InvalidArgument(f"volume driver {driver!r} is not available; only local is")
    local.validate_options(options or {})
    record = VolumeRecord(name=name, driver=driver, options=dict(options or {}),
                          labels=dict(labels or {}), created=time.time())
    if not records.insert(store, record):
        existing = records.get(store, name)
        if existing is not None:
            return existing, False
        raise Conflict(f"volume {name} is being removed; try again")
    try:
        local.make_dirs(store, name)
    except BaseException:
        records.delete_unused(store, name)
        raise
    events.volume(store, name, "create")
    return record, True


def remove_volume(store: Store, name: str) -> bool:
    """Remove a volume no container uses; False when one does (it stays)."""
    if records.delete_unused(store, name):
        return False
    _remove_dirs(store, name)
    return True


def _remove_dirs(store: Store, name: str) -> None:
    from hullbox.engine.rootless import remove_tree  # files of a rootless user's mapped ids

    local.remove_dirs(store, name, remove_tree)
    events.volume(store, name, "destroy")


def _rfc3339(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def parse_volume_filters(items: Iterable[str], keys: tuple[str, ...]) -> dict[str, list[str]]:
    """``["dangling=true", "label=a"]`` -> ``{"dangling": ["true"], "label": ["a"]}``."""
    filters = split_filters(items, keys)
    for key in ("dangling", "all"):
        require_boolean(filters, key)
    return filters


def _matches(record: VolumeRecord, key: str, value: str, used: bool) -> bool:
    if key == "dangling":
        return used != (value.lower() in ("true", "1"))
    if key == "driver":
        return record.driver == value
    if key == "label":
        return label_matches(value, record.labels)
    if key == "label!":
        return not label_matches(value, record.labels)
    if key == "name":
        return value in record.name
    return True  # "all" is no test of a volume


class VolumeService:
    """``Engine().volumes``: what ``hullbox volume ...`` does."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, name: str | None = None, *, driver: str = local.DRIVER,
               options: dict[str, str] | None = None,
               labels: dict[str, str] | None = None) -> VolumeRecord:
        """``volume create [NAME]``: a random name when none is given."""
        record, _ = create_volume(self.store, name or new_anonymous_name(), driver=driver,
                                  options=options, labels=labels)
        return record

    def get(self, name: str) -> VolumeRecord:
        record = records.get(self.store, name)
        if record is None:
            raise VolumeNotFound(f"no such volume: {name}")
        return record

    def list(self, filters: dict[str, builtins.list[str]] | None = None
             ) -> builtins.list[VolumeRecord]:
        """``volume ls``; values of one filter key are ORed, keys ANDed."""
        users = records.users(self.store.db)
        return [
            r for r in records.list_all(self.store)
            if all(any(_matches(r, k, v, r.name in users) for v in values)
                   for k, values in (filters or {}).items())
        ]

    def inspect(self, name: str) -> dict[str, Any]:
        record = self.get(name)
        return {
            "CreatedAt": _rfc3339(record.created),
            "Driver": record.driver,
            "Labels": record.labels,
            "Mountpoint": str(local.data_dir(self.store, record.name)),
            "Name": record.name,
            "Options": record.options,
            "Scope": "local",
        }

    def remove(self, name: str, *, force: bool = False) -> None:
        """``volume rm``: refused while any container (running or not) uses it;
        ``force`` only makes a missing volume no error, as in Docker."""
        if records.get(self.store, name) is None:
            if force:
                return
            raise VolumeNotFound(f"no such volume: {name}")
        holders = records.delete_unused(self.store, name)
        if holders:
            names = ", ".join(f"{n} ({i[:12]})" for i, n in holders)
            raise Conflict(
                f"volume {name} is in use by container {names}; remove the container "
                "first (hullbox rm)"
            )
        _remove_dirs(self.store, name)

    def prune(self, *, all: bool = False,
              filters: dict[str, builtins.list[str]] | None = None) -> PruneReport:
        """``volume prune``: unused anonymous volumes, or every unused one with
        ``all`` (or the filter all=true), as current Docker does."""
        filters = dict(filters or {})
        all = all or any(v.lower() in ("true", "1") for v in filters.pop("all", []))
        users = records.users(self.store.db)
        deleted: builtins.list[str] = []
        space = 0
        for record in records.list_all(self.store):
            if record.name in users or not (all or ANONYMOUS_LABEL in record.labels):
                continue
            if not builtins.all(any(_matches(record, k, v, False) for v in values)
                       for k, values in filters.items()):
                continue
            size = local.disk_usage(local.data_dir(self.store, record.name))
            if remove_volume(self.store, record.name):
                deleted.append(record.name)
                space += size
        return PruneReport(deleted, space)
