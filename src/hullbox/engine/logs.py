"""Container logs: JSON lines like Docker's json-file driver.

Each line of the container's output becomes one record
``{"log": "tick\\n", "stream": "stdout", "time": "2024-05-01T12:00:00.123456789Z"}``
appended to ``containers/ID/json.log``. The monitor writes it (``pump``);
``hullbox logs`` reads it (``read_entries``, ``follow``). Times are UTC with a
fixed nine-digit fraction so they compare as plain strings.

This module runs inside the monitor: it imports only the standard library.
"""

from __future__ import annotations

import json
import os
import re
import select
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

LOG_NAME = "json.log"
#: Docker splits lines longer than this into several records
MAX_RECORD = 16 * 1024


def log_path(container_dir: Path) -> Path:
    """Where a container's log lives."""
    return container_dir / LOG_NAME


def timestamp(ns: int | None = None) -> str:
    """RFC 3339 in UTC with nanoseconds, fixed width (comparable as text)."""
    ns = time.time_ns() if ns is None else ns
    seconds, fraction = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:09d}Z"


# -- writing (the monitor) ---------------------------------------------------
def _record(stream: str, data: bytes) -> bytes:
    # surrogateescape keeps output that is not UTF-8 byte-exact through JSON.
    text = data.decode("utf-8", "surrogateescape")
    line = json.dumps({"log": text, "stream": stream, "time": timestamp()})
    return line.encode("utf-8", "surrogateescape") + b"\n"


def pump(sources: dict[int, str], log_fd: int) -> None:
    """Copy the container's output pipes into the log until every pipe is at
    EOF: ``sources`` maps a read end to its stream name. Each record goes out
    in one write to an O_APPEND file, so a reader never sees half a line
    unless it reads while that write is in progress."""
    pending = {fd: b"" for fd in sources}
    poller = select.poll()
    for fd in sources:
        poller.register(fd, select.POLLIN)
    while pending:
        for fd, _event in poller.poll():
            chunk = os.read(fd, 65536)
            if not chunk:
                if pending[fd]:
                    os.write(log_fd, _record(sources[fd], pending[fd]))
                poller.unregister(fd)
                del pending[fd]
                continue
            stream = sources[fd]
            *lines, rest = (pending[fd] + chunk).split(b"\n")
            records = [_record(stream, line + b"\n") for line in lines]
            while len(rest) >= MAX_RECORD:  # a line without end: split as Docker does
                records.append(_record(stream, rest[:MAX_RECORD]))
                rest = rest[MAX_RECORD:]
            pending[fd] = rest
            if records:
                os.write(log_fd, b"".join(records))


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


def read_entries(path: Path, *, since: str | None = None, until: str | None = None,
                 tail: int | None = None) -> tuple[list[LogEntry], int]:
    """The entries in the log now and the offset just past the last whole line."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], 0
    end = data.rfind(b"\n") + 1
    entries = [e for e in map(_parse, data[:end].splitlines()) if e is not None]
    entries = [e for e in entries if _selected(e, since, until)]
    if tail is not None:
        entries = entries[-tail:] if tail > 0 else []
    return entries, end


def follow(path: Path, offset: int, *, running: Callable[[], bool],
           until: str | None = None, interval: float = 0.1) -> Iterator[LogEntry]:
    """The entries written after ``offset`` while ``running()`` holds, then
    the rest the writer left; follows across restarts, as the file is one."""
    buffer = b""
    while True:
        alive = running()  # asked before reading, so nothing written after is lost
        try:
            with open(path, "rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
        except FileNotFoundError:
            return  # the container was removed
        offset += len(chunk)
        buffer += chunk
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
