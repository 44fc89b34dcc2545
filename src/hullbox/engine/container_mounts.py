"""A container's mounts through its life: planned when it is created (image
VOLUMEs, ``--volumes-from``, the user's mounts; volumes named and made),
mounted at each start, shown by inspect, released when it is removed."""

from __future__ import annotations

import contextlib
import posixpath
from dataclasses import replace
from pathlib import Path
from typing import Any

from hullbox.engine.settings.storage import StorageSettings
from hullbox.engine.volumes import create_volume, remove_volume
from hullbox.errors import ContainerNotFound, HullboxError, InvalidArgument
from hullbox.store import containers as container_db
from hullbox.store.store import Store
from hullbox.volume import local
from hullbox.volume.mountpoint import BIND, TMPFS, VOLUME, MountPoint
from hullbox.volume.names import ANONYMOUS_LABEL, new_anonymous_name
from hullbox.volume.parse import parse_volumes_from
from hullbox.volume.specmounts import add_mounts, depth


def _volumes_from(store: Store, item: str) -> list[MountPoint]:
    name, mode = parse_volumes_from(item)
    found = container_db.find(store, name)
    if len(found) != 1:
        raise ContainerNotFound(
            f"--volumes-from {item}: no such container: {name}" if not found else
            f"--volumes-from {item}: {name!r} matches {len(found)} containers; type more"
        )
    theirs = StorageSettings.from_json(found[0].config.get("storage")).points()
    points = []
    for point in theirs:
        if point.type == TMPFS:  # a tmpfs is the container's own, as in Docker
            continue
        copy = replace(point, anonymous=False)  # the other container owns what it made
        if mode:
            copy.read_only = mode == "ro"
        points.append(copy)
    return points


def plan_mounts(store: Store, storage: StorageSettings, image_volumes: dict[str, Any],
                undo: contextlib.ExitStack) -> StorageSettings:
    """``storage`` with its mount points filled in. Later sources replace
    earlier ones at the same path: image VOLUMEs, then ``--volumes-from``,
    then ``-v``/``--mount``/``--tmpfs``. Volumes that do not exist yet are made
    (named ones as given, anonymous ones with a random name); ``undo`` removes
    them if creating the container fails later."""
    points: dict[str, MountPoint] = {}
    for path in image_volumes:
        clean = posixpath.normpath(path)
        if clean.startswith("/") and clean != "/":
            points[clean] = MountPoint(type=VOLUME, destination=clean)
    for item in storage.volumes_from:
        points.update((p.destination, p) for p in _volumes_from(store, item))
    points.update((p.destination, p) for p in storage.requested_points())
    for point in points.values():
        if point.type == BIND and not point.create_host_path and not Path(point.source).exists():
            raise InvalidArgument(
                f'invalid mount config for type "bind": bind source path does not exist: '
                f"{point.source}; create it first or use -v, which makes it"
            )
    for point in points.values():
        if point.type != VOLUME:
            continue
        labels = point.volume_labels
        if not point.source:
            point.source, point.anonymous = new_anonymous_name(), True
            labels = {ANONYMOUS_LABEL: "", **labels}
        _record, made = create_volume(store, point.source, options=point.volume_options,
                                      labels=labels)
        if made:
            undo.callback(remove_volume, store, point.source)
    planned = sorted(points.values(), key=depth)
    return replace(storage, mount_points=[p.to_json() for p in planned])


def mount_into_spec(spec: dict[str, Any], store: Store, config: dict[str, Any],
                    rootfs: Path) -> None:
    """At start: the container's mounts appended to its config.json."""
    storage = StorageSettings.from_json(config.get("storage"))
    add_mounts(spec, store, storage.points(), rootfs)


def release_volumes(store: Store, config: dict[str, Any], *, remove_anonymous: bool) -> None:
    """After a container is removed: with ``rm -v`` or ``--rm``, the anonymous
    volumes it made go too, unless another container (--volumes-from) uses them."""
    if not remove_anonymous:
        return
    for point in StorageSettings.from_json(config.get("storage")).points():
        if point.type == VOLUME and point.anonymous:
            with contextlib.suppress(HullboxError, OSError):
                remove_volume(store, point.source)


def inspect_mounts(store: Store, config: dict[str, Any]) -> list[dict[str, Any]]:
    """Docker's ``Mounts`` of a container (``--tmpfs`` ones are in HostConfig)."""
    out = []
    for point in StorageSettings.from_json(config.get("storage")).points():
        if point.from_tmpfs_flag:
            continue
        entry: dict[str, Any] = {"Type": point.type}
        if point.type == VOLUME:
            entry.update(Name=point.source,
                         Source=str(local.data_dir(store, point.source)),
                         Destination=point.destination, Driver=local.DRIVER,
                         Mode=point.mode or ("z" if point.create_host_path else ""),
                         RW=not point.read_only, Propagation="")
        else:
            entry.update(Source=point.source if point.type == BIND else "",
                         Destination=point.destination, Mode=point.mode,
                         RW=not point.read_only,
                         Propagation=(point.propagation or "rprivate")
                         if point.type == BIND else "")
        out.append(entry)
    return out


def inspect_host_config(config: dict[str, Any]) -> dict[str, Any]:
    """The storage fields of Docker's ``HostConfig``, as the user gave them."""
    storage = StorageSettings.from_json(config.get("storage"))
    return {
        "Binds": storage.binds or None,
        "VolumesFrom": storage.volumes_from or None,
        "Tmpfs": storage.tmpfs or None,
        "Mounts": [
            {"Type": p.type, "Source": p.source, "Target": p.destination,
             "ReadOnly": p.read_only}
            for p in storage.requested_points()
            if not p.create_host_path and not p.from_tmpfs_flag
        ] or None,
    }
