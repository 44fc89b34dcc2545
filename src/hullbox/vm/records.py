"""Machine rows in the store's database."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from hullbox.errors import Conflict, MachineNotFound
from hullbox.store.store import Store
from hullbox.vm.config import MachineConfig


@dataclass
class MachineRecord:
    """One row of the machines table, as hullbox last left it."""

    id: str
    name: str
    config: MachineConfig
    state: str          # stopped, running, paused
    pid: int
    created: float
    started: float
    finished: float
    error: str
    saved_state: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> MachineRecord:
        return cls(row["id"], row["name"], MachineConfig.from_json(row["config"]), row["state"],
                   row["pid"], row["created"], row["started"], row["finished"], row["error"],
                   row["saved_state"])


class MachineRecords:
    """Reads and writes machine rows; every write is one statement."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def insert(self, machine_id: str, name: str, config: MachineConfig) -> MachineRecord:
        try:
            self._store.db.execute(
                "INSERT INTO machines (id, name, config, state, created) VALUES (?, ?, ?, ?, ?)",
                (machine_id, name, config.to_json(), "stopped", time.time()))
        except sqlite3.IntegrityError:
            raise Conflict(f'the VM name "{name}" is already in use; '
                           "remove that VM or choose another name") from None
        return self.get(machine_id)

    def find(self, ref: str) -> MachineRecord | None:
        """By exact name, full ID, or a unique ID prefix (as containers are found)."""
        db = self._store.db
        row = db.execute("SELECT * FROM machines WHERE name = ? OR id = ?", (ref, ref)).fetchone()
        if row is None and len(ref) >= 3 and all(c in "0123456789abcdef" for c in ref):
            rows = db.execute("SELECT * FROM machines WHERE id LIKE ?", (ref + "%",)).fetchall()
            row = rows[0] if len(rows) == 1 else None
        return MachineRecord.from_row(row) if row is not None else None

    def get(self, ref: str) -> MachineRecord:
        record = self.find(ref)
        if record is None:
            raise MachineNotFound(f'no such VM: "{ref}"; list them with: hullbox vm ls')
        return record

    def all(self) -> list[MachineRecord]:
        rows = self._store.db.execute("SELECT * FROM machines ORDER BY created").fetchall()
        return [MachineRecord.from_row(row) for row in rows]

    def update(self, machine_id: str, **fields: object) -> None:
        if "config" in fields and isinstance(fields["config"], MachineConfig):
            fields["config"] = fields["config"].to_json()
        columns = ", ".join(f"{key} = ?" for key in fields)
        self._store.db.execute(f"UPDATE machines SET {columns} WHERE id = ?",
                               (*fields.values(), machine_id))

    def delete(self, machine_id: str) -> None:
        self._store.db.execute("DELETE FROM machines WHERE id = ?", (machine_id,))
