"""A container's mount points as runtime-spec ``mounts`` entries, made at
each start: host directories checked (or made, for ``-v``), empty volumes
filled from the image, tmpfs options as Docker passes them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hullbox.errors import InvalidArgument, RuntimeFailure, VolumeNotFound
from hullbox.store.store import Store
from hullbox.volume import local, records
from hullbox.volume.copyup import copy_up
from hullbox.volume.mountpoint import BIND, TMPFS, VOLUME, MountPoint

#: what Docker gives every tmpfs mount before the user's options
TMPFS_DEFAULTS = ("noexec", "nosuid", "nodev")


def depth(point: MountPoint) -> int:
    """Parents before children: /x before /x/y, as Docker sorts its mounts."""
    return len(point.destination.rstrip("/").split("/"))


def _bind_source(point: MountPoint) -> str:
    source = Path(point.source)
    if not source.exists():
        if not point.create_host_path:
            raise InvalidArgument(
                f'invalid mount config for type "bind": bind source path does not exist: '
                f"{point.source}; create it first or use -v, which makes it"
            )
        source.mkdir(mode=0o755, parents=True, exist_ok=True)
    return str(source)


def _propagation_of(path: str) -> tuple[str, str]:
    """(mount point, optional fields) of the mount that holds ``path``."""
    best = ("", "")
    with open("/proc/self/mountinfo") as info:
        for line in info:
            fields = line.split()
            target = fields[4].replace("\\040", " ")
            inside = path == target or path.startswith(target.rstrip("/") + "/")
            if inside and len(target) >= len(best[0]):
                best = (target, " ".join(fields[6:fields.index("-")]))
    return best


def _check_propagation(point: MountPoint, source: str) -> None:
    """Docker's rule: a slave bind needs a shared or slave source mount, a
    shared bind a shared one; else the flag would silently do nothing."""
    if point.propagation in ("", "private", "rprivate"):
        return
    target, tags = _propagation_of(os.path.realpath(source))
    shared = "shared:" in tags
    if shared or ("master:" in tags and "slave" in point.propagation):
        return
    needed = "a shared or slave" if "slave" in point.propagation else "a shared"
    raise InvalidArgument(
        f"bind-propagation={point.propagation} for {point.source}: it is on mount "
        f"{target}, which is not {needed} mount; make it one (mount --make-shared "
        f"{target}) or drop the propagation"
    )


def spec_mount(store: Store, point: MountPoint, rootfs: Path) -> dict[str, Any]:
    """One mount entry; ``rootfs`` (mounted) is where an empty volume's content
    comes from."""
    ro = ["ro"] if point.read_only else []
    if point.type == VOLUME:
        record = records.get(store, point.source)
        if record is None:
            raise VolumeNotFound(
                f"volume {point.source} was removed; recreate it (hullbox volume create "
                f"{point.source}) or remove the container"
            )
        if not record.options and not point.nocopy:
            try:
                with local.locked(store, record.name) as data:
                    copy_up(rootfs, point.destination, data)
            except OSError as exc:
                raise RuntimeFailure(
                    f"fill volume {record.name} from the image's {point.destination}: "
                    f"{exc.strerror or exc}: {exc.filename or ''}"
                ) from exc
        return local.spec_mount(store, record.name, record.options, point.destination,
                                [*ro, "rprivate"])
    if point.type == BIND:
        source = _bind_source(point)
        _check_propagation(point, source)
        return {"destination": point.destination, "type": "bind", "source": source,
                "options": ["rbind", *ro, point.propagation or "rprivate"]}
    assert point.type == TMPFS
    return {"destination": point.destination, "type": "tmpfs", "source": "tmpfs",
            "options": [*TMPFS_DEFAULTS, *point.tmpfs_options, *ro]}


def add_mounts(spec: dict[str, Any], store: Store, points: list[MountPoint],
               rootfs: Path) -> None:
    """Append the container's mounts to ``spec``, parents first; a mount the
    user put where hullbox has its own (/dev/shm, /etc/hosts) replaces it."""
    if not points:
        return
    ordered = sorted(points, key=depth)
    if any(p.type == BIND and p.propagation not in ("", "private", "rprivate")
           for p in ordered):
        # Host mounts reach a slave or shared bind only if the container's /
        # stays a slave of the host's, rather than the private default. Never
        # shared: the container's own mounts must not propagate to the host.
        spec.setdefault("linux", {})["rootfsPropagation"] = "rslave"
    taken = {p.destination for p in ordered}
    spec["mounts"] = [m for m in spec["mounts"] if m["destination"] not in taken]
    spec["mounts"].extend(spec_mount(store, p, rootfs) for p in ordered)
