"""Volumes, bind mounts and tmpfs mounts (issue 7)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from hullbox.errors import InvalidArgument
from hullbox.volume.mountflag import parse_mount_flag
from hullbox.volume.mountpoint import MountPoint
from hullbox.volume.parse import (
    parse_tmpfs_flag,
    parse_volume_flag,
    parse_volumes_from,
)


@dataclass
class StorageSettings:
    """Stored with the container (inside ContainerOptions) so `start` repeats it.

    The flags are kept as typed (inspect's HostConfig shows them); ``requested``
    holds them parsed; ``mount_points`` is filled when the container is created:
    image volumes, ``--volumes-from`` and the user's mounts merged, every
    volume named. ``start`` mounts ``mount_points``."""

    binds: list[str] = field(default_factory=list)         # -v
    mounts: list[str] = field(default_factory=list)        # --mount
    tmpfs: dict[str, str] = field(default_factory=dict)    # --tmpfs PATH -> options
    volumes_from: list[str] = field(default_factory=list)  # --volumes-from
    requested: list[dict[str, Any]] = field(default_factory=list)
    mount_points: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def parse(
        cls,
        *,
        volumes: Iterable[str] = (),
        mounts: Iterable[str] = (),
        tmpfs: Iterable[str] = (),
        volumes_from: Iterable[str] = (),
    ) -> StorageSettings:
        """Settings from the flags as typed; malformed ones raise InvalidArgument."""
        volumes, mounts, tmpfs = list(volumes), list(mounts), list(tmpfs)
        points = [
            *(parse_volume_flag(v) for v in volumes),
            *(parse_mount_flag(m) for m in mounts),
            *(parse_tmpfs_flag(t) for t in tmpfs),
        ]
        seen: set[str] = set()
        for point in points:
            if point.destination in seen:
                raise InvalidArgument(
                    f"duplicate mount point: {point.destination}; give each container "
                    "path one -v, --mount or --tmpfs"
                )
            seen.add(point.destination)
        sources = list(volumes_from)
        for item in sources:
            parse_volumes_from(item)
        return cls(
            binds=volumes,
            mounts=mounts,
            tmpfs={p.destination: ",".join(p.tmpfs_options) for p in points
                   if p.from_tmpfs_flag},
            volumes_from=sources,
            requested=[p.to_json() for p in points],
        )

    def requested_points(self) -> list[MountPoint]:
        return [MountPoint.from_json(p) for p in self.requested]

    def points(self) -> list[MountPoint]:
        """What ``start`` mounts."""
        return [MountPoint.from_json(p) for p in self.mount_points]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> StorageSettings:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)
