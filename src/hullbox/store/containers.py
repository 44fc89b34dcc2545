"""Container records in the metadata database."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from hullbox.store.store import Store

CREATED = "created"
RUNNING = "running"
EXITED = "exited"
RESTARTING = "restarting"


@dataclass
class ContainerRecord:
    """What the store knows of one container."""

    id: str
    name: str
    image_id: str
    image_name: str
    command: list[str]
    config: dict[str, Any]
    state: str = CREATED
    pid: int = 0
    exit_code: int = 0
    created: float = 0.0
    started: float = 0.0
    finished: float = 0.0
    error: str = ""
    monitor_pid: int = 0       # the detached container's monitor; 0 in the foreground
    restart_count: int = 0
    restart_policy: str = ""   # Docker's --restart value; "" is "no"
    stop_requested: bool = False  # stop/kill ended it: the restart policy must not
    health: dict[str, Any] = field(default_factory=dict)  # Docker's State.Health; {} = none
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def short_id(self) -> str:
        return self.id[:12]


def _from_row(row: sqlite3.Row) -> ContainerRecord:
    return ContainerRecord(
        id=row["id"],
        name=row["name"],
        image_id=row["image_id"],
        image_name=row["image_name"],
        command=json.loads(row["command"]),
        config=json.loads(row["config"]),
        state=row["state"],
        pid=row["pid"],
        exit_code=row["exit_code"],
        created=row["created"],
        started=row["started"],
        finished=row["finished"],
        error=row["error"],
        monitor_pid=row["monitor_pid"],
        restart_count=row["restart_count"],
        restart_policy=row["restart_policy"],
        stop_requested=bool(row["stop_requested"]),
        health=json.loads(row["health"] or "{}"),
    )


def insert(store: Store, record: ContainerRecord) -> None:
    """Add a container; raises sqlite3.IntegrityError when the name is taken."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO containers(id, name, image_id, image_name, command, config, state,"
            " created, restart_policy) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                record.id,
                record.name,
                record.image_id,
                record.image_name,
                json.dumps(record.command),
                json.dumps(record.config),
                record.state,
                record.created,
                record.restart_policy,
            ),
        )


def get(store: Store, container_id: str) -> ContainerRecord | None:
    row = store.db.execute("SELECT * FROM containers WHERE id=?", (container_id,)).fetchone()
    return None if row is None else _from_row(row)


def find(store: Store, name_or_id: str) -> list[ContainerRecord]:
    """Containers matching a name exactly, else a full ID, else an ID prefix."""
    name = name_or_id.removeprefix("/")
    rows = store.db.execute("SELECT * FROM containers WHERE name=?", (name,)).fetchall()
    if not rows:
        rows = store.db.execute(
            "SELECT * FROM containers WHERE id >= ? AND id < ?",
            (name_or_id, name_or_id + "\uffff"),
        ).fetchall()
    return [_from_row(r) for r in rows]


def list_all(store: Store) -> list[ContainerRecord]:
    rows = store.db.execute("SELECT * FROM containers ORDER BY created DESC").fetchall()
    return [_from_row(r) for r in rows]


def update(store: Store, container_id: str, **fields: Any) -> None:
    """Set some columns of one container in one transaction."""
    if not fields:
        return
    columns = ", ".join(f"{key}=?" for key in fields)
    values = [json.dumps(v) if isinstance(v, dict | list) else v for v in fields.values()]
    with store.transaction() as conn:
        conn.execute(f"UPDATE containers SET {columns} WHERE id=?", (*values, container_id))


def delete(store: Store, container_id: str) -> None:
    with store.transaction() as conn:
        conn.execute("DELETE FROM containers WHERE id=?", (container_id,))


def images_in_use(store: Store) -> set[str]:
    return {r[0] for r in store.db.execute("SELECT DISTINCT image_id FROM containers")}
