"""The fields of a ``ps --format`` row that docker's container row has
beyond the table's columns (formatter.ContainerContext), spelt as docker
spells them."""

from __future__ import annotations

from typing import Any

from hullbox.cli.gotemplate import go_time


def _ellipsis(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def quoted_command(command: list[str], no_trunc: bool) -> str:
    """Go's strconv.Quote of the command (its JSON string form for the
    printable text ps shows), cut to 20 unless --no-trunc."""
    import json

    text = " ".join(command)
    return json.dumps(text if no_trunc else _ellipsis(text, 20), ensure_ascii=False)


def docker_row_fields(engine: Any, record: Any, no_trunc: bool) -> dict[str, Any]:
    """Command quoted (and cut to 20 unless --no-trunc), CreatedAt as Go's
    time.String(), Labels, Mounts, LocalVolumes, Networks (those the
    container joins, running or not, as docker lists them) and a Size of 0B
    (docker's value when the size was not asked for). From the stored
    config alone: ps stays cheap."""
    from hullbox.engine.container_mounts import inspect_mounts
    from hullbox.engine.networking import endpoints
    from hullbox.engine.options import ContainerOptions

    mounts = inspect_mounts(engine.store, record.config)
    names = [m.get("Name") or m.get("Source", "") for m in mounts]
    labels = record.config.get("labels") or {}
    networks = [name for name, _aliases, _ip in endpoints(ContainerOptions.from_json(
        record.config)) if not name.startswith("container:")]
    return {
        "Command": quoted_command(record.command, no_trunc),
        "CreatedAt": go_time(record.created),
        "Labels": ",".join(sorted(f"{k}={v}" for k, v in labels.items())),
        "Mounts": ",".join(n if no_trunc else _ellipsis(n, 15) for n in names),
        "LocalVolumes": str(sum(1 for m in mounts if m.get("Driver") == "local")),
        "Networks": ",".join(networks),
        "Size": "0B",
    }
