"""The event journal behind ``hullbox events``: one JSON object a line in
ROOT/events.log, appended by whatever command changes a container, image,
network or volume (and by a container's monitor when it dies).

hullbox has no daemon to hold events in memory as Docker's does, so they go
where any later command can read them, as podman's "file" events backend does.
A file rather than a table of the SQLite store: an append is one ``write()`` of
a short line (tens of microseconds) that never waits for the database's write
lock, which ``run`` and the monitors hold for their own rows, and a follower
(``events`` without ``--until``) reads new lines with a cheap poll of the size.

Writers take an flock around the append so that rotation (the file is renamed
to events.log.1 past MAX_BYTES, one old generation kept) never loses a line:
a writer that finds the file it opened renamed away opens the new one.
Recording is best effort: a store on a read-only disk still runs containers.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

JOURNAL_NAME = "events.log"
MAX_BYTES = 4 * 1024 * 1024
POLL_INTERVAL = 0.05


def journal_path(root: Path) -> Path:
    return root / JOURNAL_NAME


def append(root: Path, kind: str, action: str, actor_id: str,
           attributes: dict[str, str]) -> None:
    """Record one event now: ``kind`` is Docker's Type (container, image,
    network, volume), ``action`` its Action, ``actor_id`` the object's ID."""
    line = json.dumps({"timeNano": time.time_ns(), "Type": kind, "Action": action,
                       "ID": actor_id, "Attributes": attributes},
                      separators=(",", ":")).encode() + b"\n"
    path = journal_path(root)
    with contextlib.suppress(OSError):
        for _attempt in range(3):
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                opened = os.fstat(fd)
                if opened.st_ino != os.stat(path).st_ino:
                    continue  # rotated while we waited for the lock
                if opened.st_size > MAX_BYTES:
                    os.replace(path, path.with_name(JOURNAL_NAME + ".1"))
                    continue
                os.write(fd, line)
                return
            finally:
                os.close(fd)


def _decode(line: bytes) -> dict[str, Any] | None:
    try:
        event = json.loads(line)
    except ValueError:
        return None  # a torn line of a writer killed mid-write
    return event if isinstance(event, dict) and "timeNano" in event else None


def read(root: Path) -> tuple[list[dict[str, Any]], int, int]:
    """Every event recorded, oldest first (the rotated file first); with the
    current file's inode and the offset its end was at, for ``follow``."""
    path = journal_path(root)
    events: list[dict[str, Any]] = []
    with contextlib.suppress(FileNotFoundError):
        old = path.with_name(JOURNAL_NAME + ".1").read_bytes()
        events.extend(e for line in old.splitlines() if (e := _decode(line)))
    try:
        with path.open("rb") as handle:
            data = handle.read()
            inode = os.fstat(handle.fileno()).st_ino
    except FileNotFoundError:
        return events, 0, 0
    end = data.rfind(b"\n") + 1  # a line still being written is read by follow
    events.extend(e for line in data[:end].splitlines() if (e := _decode(line)))
    return events, inode, end


def follow(root: Path, inode: int, offset: int,
           keep_going: Callable[[], bool]) -> Iterator[dict[str, Any]]:
    """The events appended after ``offset`` of the file ``inode``, as they
    come, across rotations, while ``keep_going()`` says so."""
    path = journal_path(root)
    pending = b""
    handle = None
    try:
        while keep_going():
            if handle is None:
                try:
                    handle = path.open("rb")
                except FileNotFoundError:
                    time.sleep(POLL_INTERVAL)
                    continue
                if os.fstat(handle.fileno()).st_ino == inode:
                    handle.seek(offset)
                inode = os.fstat(handle.fileno()).st_ino
            chunk = handle.read()
            if chunk:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                yield from (e for line in lines if (e := _decode(line)))
                continue
            with contextlib.suppress(FileNotFoundError):
                if os.stat(path).st_ino != inode:  # rotated: finish this one, then the new
                    pending += handle.read()
                    yield from (e for line in pending.split(b"\n") if (e := _decode(line)))
                    pending = b""
                    handle.close()
                    handle = None
                    continue
            time.sleep(POLL_INTERVAL)
    finally:
        if handle is not None:
            handle.close()
