"""``ps -n/--last``, ``-l/--latest`` and ``-s/--size``."""

from __future__ import annotations

from typing import Any


def last_created(records: list[Any], last: int) -> list[Any]:
    """The ``last`` most recently created (the listing is newest first);
    all of them for -1 (Docker's default) or any other negative number, as in Docker."""
    return records if last < 0 else records[:last]


def size_cells(store: Any, records: list[Any], wanted: bool,
               fmt: str | None) -> dict[str, dict[str, str]]:
    """Docker's SIZE column, ``12B (virtual 4.26MB)``, by container ID; made
    for -s, or when --format asks for .Size (as docker ps does)."""
    if not wanted and ".Size" not in (fmt or ""):
        return {}
    from hullbox.engine.container_size import container_size
    from hullbox.engine.units import human_size

    cells = {}
    for record in records:
        size = container_size(store, record)
        cells[record.id] = {
            "Size": f"{human_size(size.rw)} (virtual {human_size(size.root_fs)})"}
    return cells


def with_size(engine: Any, name: str, data: dict[str, Any]) -> dict[str, Any]:
    """``inspect -s``: SizeRw and SizeRootFs added where Docker puts them
    (after GraphDriver)."""
    from hullbox.engine.container_size import container_size

    size = container_size(engine.store, engine.containers.get(name))
    out: dict[str, Any] = {}
    for key, value in data.items():
        out[key] = value
        if key == "GraphDriver":
            out.update(SizeRw=size.rw, SizeRootFs=size.root_fs)
    out.setdefault("SizeRw", size.rw)
    out.setdefault("SizeRootFs", size.root_fs)
    return out
