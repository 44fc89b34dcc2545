"""Volume rows in the metadata database (table ``volumes``)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from hullbox.store.store import Store


@dataclass
class VolumeRecord:
    """What the store knows of one volume."""

    name: str
    driver: str = "local"
    options: dict[str, str] = field(default_factory=dict)  # --opt, for the driver
    labels: dict[str, str] = field(default_factory=dict)
    created: float = 0.0


def _from_row(row: sqlite3.Row) -> VolumeRecord:
    return VolumeRecord(name=row["name"], driver=row["driver"],
                        options=json.loads(row["options"]), labels=json.loads(row["labels"]),
                        created=row["created"])


def insert(store: Store, record: VolumeRecord) -> bool:
    """Add a volume; False (and nothing changed) when the name is taken."""
    try:
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO volumes(name, driver, options, labels, created) "
                "VALUES (?,?,?,?,?)",
                (record.name, record.driver, json.dumps(record.options),
                 json.dumps(record.labels), record.created),
            )
    except sqlite3.IntegrityError:
        return False
    return True


def get(store: Store, name: str) -> VolumeRecord | None:
    row = store.db.execute("SELECT * FROM volumes WHERE name=?", (name,)).fetchone()
    return None if row is None else _from_row(row)


def list_all(store: Store) -> list[VolumeRecord]:
    rows = store.db.execute("SELECT * FROM volumes ORDER BY name").fetchall()
    return [_from_row(r) for r in rows]


def users(conn: sqlite3.Connection) -> dict[str, list[tuple[str, str]]]:
    """Volume name -> [(container id, container name)] of every container whose
    mount points name it, stopped ones included (as Docker counts them)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for row in conn.execute("SELECT id, name, config FROM containers"):
        config: dict[str, Any] = json.loads(row["config"])
        points = (config.get("storage") or {}).get("mount_points") or []
        for point in points:
            if point.get("type") == "volume" and point.get("source"):
                found.setdefault(point["source"], []).append((row["id"], row["name"]))
    return found


def delete_unused(store: Store, name: str) -> list[tuple[str, str]]:
    """Delete the row unless a container uses the volume, in one transaction so
    that the check and the delete see the same containers. Returns the users
    that kept it ([] when deleted, or when there was no such row)."""
    with store.transaction() as conn:
        holders = users(conn).get(name, [])
        if not holders:
            conn.execute("DELETE FROM volumes WHERE name=?", (name,))
    return holders
