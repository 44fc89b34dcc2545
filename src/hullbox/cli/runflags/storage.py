"""Volume and mount flags: -v, --mount, --tmpfs, --volumes-from (issue 7)."""

from __future__ import annotations

from typing import Any

import click

FLAGS: list[Any] = [
    click.option("-v", "--volume", "volumes", multiple=True, metavar="[SRC:]DST[:MODE]",
                 help="Mount a volume (name) or host directory (absolute path) at DST; "
                 "DST alone is an anonymous volume. MODE: ro, rw, nocopy, rshared ..."),
    click.option("--mount", "mounts", multiple=True, metavar="type=...,src=...,dst=...",
                 help="Mount a volume, bind or tmpfs: type=volume|bind|tmpfs, source, "
                 "target, readonly, volume-nocopy, bind-propagation, tmpfs-size, tmpfs-mode."),
    click.option("--tmpfs", multiple=True, metavar="PATH[:OPTIONS]",
                 help="Mount a tmpfs at PATH (e.g. /run:size=16m,mode=1777)."),
    click.option("--volumes-from", multiple=True, metavar="CONTAINER[:ro|rw]",
                 help="Mount every volume and bind of another container."),
]


def to_options(params: dict[str, Any]) -> dict[str, Any]:
    from hullbox.engine.settings.storage import StorageSettings

    return {"storage": StorageSettings.parse(
        volumes=params.get("volumes") or (),
        mounts=params.get("mounts") or (),
        tmpfs=params.get("tmpfs") or (),
        volumes_from=params.get("volumes_from") or (),
    )}
