"""Reading container logs (``hullbox logs``): JSON lines like Docker's
json-file driver, written by engine.logwriter into ``containers/ID/json.log``
and its rotated files ``json.log.1``, ``json.log.2`` ... (oldest last).
Times are UTC with a fixed nine-digit fraction so they compare as plain
strings."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hullbox.engine.logwriter import timestamp

__all__ = ["LogEntry", "follow", "log_path", "parse_time", "read_entries", "timestamp"]

LOG_NAME = "json.log"


def log_path(container_dir: Path) -> Path:
    """Where a container's log lives."""
    return container_dir / LOG_NAME


# -- reading (hullbox logs) --------------------------------------------------
@dataclass(frozen=True)
class LogEntry:
    """One line of output: its stream (stdout/stderr), bytes and time."""

    stream: str
    data: bytes
    time: str


def _parse(line: bytes) -> LogEntry | None:
    try:
        item = json.loads(line)
        return LogEntry(item["stream"], item["log"].encode("utf-8", "surrogateescape"),
                        item["time"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None  # a torn last line of a monitor killed mid-write


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z")
_DURATIONS = re.compile(r"(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
                 "h": 3600.0}


def parse_time(value: str, what: str, now: float | None = None) -> str:
    """``--since``/``--until`` as Docker takes them: a Go duration before now
    (``5m``, ``1h30m``), Unix seconds (``1700000000.5``), or an RFC 3339 date;
    returned as a log timestamp. ValueError names the flag."""
    now = time.time() if now is None else now
    value = value.strip()
    if _DURATIONS.fullmatch(value):
        seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in _DURATION.findall(value))
        return timestamp(int((now - seconds) * 1e9))
    try:
        return timestamp(int(float(value) * 1e9))
    except ValueError:
        pass
    if _STAMP.fullmatch(value):
        return value  # a time `logs -t` printed: keep its nanoseconds
    import datetime

    try:
        moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"invalid {what} {value!r}: use a duration (10m, 1h30m), Unix seconds "
            "or a date (2024-05-01T12:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # a date without zone is local time, as in Docker
    return timestamp(int(moment.timestamp() * 1e9))


def _selected(entry: LogEntry, since: str | None, until: str | None) -> bool:
    # Docker keeps a line stamped exactly at --since, and at --until.
    return (since is None or entry.time >= since) and (until is None or entry.time <= until)


def rotated_files(path: Path) -> list[Path]:
    """The rotated files of a log, oldest first (json.log.3, .2, .1)."""
    numbered = []
    for candidate in path.parent.glob(path.name + ".*"):
        suffix = candidate.name[len(path.name) + 1:]
        if suffix.isdigit():
            numbered.append((int(suffix), candidate))
    return [p for _n, p in sorted(numbered, reverse=True)]


def read_entries(path: Path, *, since: str | None = None, until: str | None = None,
                 tail: int | None = None) -> tuple[list[LogEntry], int]:
    """The entries in the log now, rotated files first, and the offset just
    past the last whole line of the current file."""
    data = b""
    for old in rotated_files(path):
        try:
            chunk = old.read_bytes()
        except FileNotFoundError:
            continue  # rotated away while we read
        data += chunk[:chunk.rfind(b"\n") + 1]
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        current = b""
    end = current.rfind(b"\n") + 1
    data += current[:end]
    entries = [e for e in map(_parse, data.splitlines()) if e is not None]
    entries = [e for e in entries if _selected(e, since, until)]
    if tail is not None:
        entries = entries[-tail:] if tail > 0 else []
    return entries, end


class _Tail:
    """A reader of the log file that notices rotation (the name now leads to
    a new file) and truncation (max-file 1), as ``tail -F`` does."""

    def __init__(self, path: Path, offset: int) -> None:
        self.path = path
        self.handle = None if not path.exists() else open(path, "rb")  # noqa: SIM115
        if self.handle is not None:
            self.handle.seek(offset)

    def read(self) -> bytes:
        """What was written since the last read, across a rotation."""
        if self.handle is None:
            try:
                self.handle = open(self.path, "rb")  # noqa: SIM115
            except FileNotFoundError:
                return b""
        chunk = self.handle.read()
        try:
            current = os.stat(self.path)
        except FileNotFoundError:
            return chunk
        opened = os.fstat(self.handle.fileno())
        if (current.st_dev, current.st_ino) != (opened.st_dev, opened.st_ino):
            chunk += self.handle.read()  # the rest of the old file, now json.log.1
            self.handle.close()
            self.handle = open(self.path, "rb")  # noqa: SIM115
            chunk += self.handle.read()
        elif opened.st_size < self.handle.tell():
            self.handle.seek(0)  # cut back to empty (max-file 1)
            chunk += self.handle.read()
        return chunk

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def follow(path: Path, offset: int, *, running: Callable[[], bool],
           until: str | None = None, interval: float = 0.1) -> Iterator[LogEntry]:
    """The entries written after ``offset`` while ``running()`` holds, then
    the rest the writer left; follows across restarts (the file is the same)
    and rotations."""
    return _follow(_Tail(path, offset), running, until, interval)  # opened now, not lazily


def _follow(tail: _Tail, running: Callable[[], bool], until: str | None,
            interval: float) -> Iterator[LogEntry]:
    buffer = b""
    try:
        while True:
            alive = running()  # asked before reading, so nothing written after is lost
            buffer += tail.read()
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                entry = _parse(line)
                if entry is None:
                    continue
                if until is not None and entry.time > until:
                    return
                yield entry
            if not alive:
                return
            time.sleep(interval)
    finally:
        tail.close()
