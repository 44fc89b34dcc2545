"""Writing a container's log: Docker's json-file records, rotated by size.

Each line of output becomes ``{"log":"tick\\n","stream":"stdout","time":"..."}``
in ``json.log``. With ``--log-opt max-size`` the file is rotated once it has
reached the size: ``json.log`` -> ``json.log.1`` -> ... up to ``max-file``
files, the oldest dropped (with max-file 1 the file is cut back to empty),
as Docker's json-file driver does.

This runs in the idle monitor (engine.watch), so it imports only modules
built into the interpreter: no json, re or pathlib.
"""

from __future__ import annotations

import os
import time
from _json import encode_basestring_ascii as _quote
from itertools import pairwise

#: Docker splits lines longer than this into several records
MAX_RECORD = 16 * 1024


def timestamp(ns: int | None = None) -> str:
    """RFC 3339 in UTC with nanoseconds, fixed width (comparable as text)."""
    ns = time.time_ns() if ns is None else ns
    seconds, fraction = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:09d}Z"


def record(stream: str, data: bytes) -> bytes:
    """One JSON line; surrogateescape keeps output that is not UTF-8 byte-exact."""
    text = _quote(data.decode("utf-8", "surrogateescape"))
    return f'{{"log":{text},"stream":"{stream}","time":"{timestamp()}"}}\n'.encode()


def rotated_paths(path: str, max_files: int) -> list[str]:
    """The log's files, oldest first: path.N-1 ... path.1, path."""
    return [f"{path}.{index}" for index in range(max_files - 1, 0, -1)] + [path]


class LogWriter:
    """Appends records to the log, rotating it when ``max_size`` (0: never) is reached."""

    def __init__(self, path: str, max_size: int = 0, max_files: int = 1) -> None:
        self.path = path
        self.max_size = max_size
        self.max_files = max(1, max_files)
        self.fd = self._open()
        self.size = os.fstat(self.fd).st_size

    def _open(self) -> int:
        return os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def write(self, data: bytes) -> None:
        """Write whole records in one write, so a reader never sees half a
        line unless it reads while that write is in progress."""
        self.write_records([data])

    def write_records(self, records: list[bytes]) -> None:
        """Write records, as few writes as the rotation allows: the file is
        rotated before the record that finds it at max-size or beyond."""
        batch: list[bytes] = []
        pending = 0
        for item in records:
            if self.max_size and self.size + pending >= self.max_size:
                self._flush(batch, pending)
                batch, pending = [], 0
                self.rotate()
            batch.append(item)
            pending += len(item)
        self._flush(batch, pending)

    def _flush(self, batch: list[bytes], size: int) -> None:
        if batch:
            os.write(self.fd, b"".join(batch))
            self.size += size

    def rotate(self) -> None:
        """Shift path -> path.1 -> path.2 ..., dropping the oldest; a reader
        following the old file finds its end there, then the new file."""
        if self.max_files == 1:
            os.ftruncate(self.fd, 0)
            self.size = 0
            return
        paths = rotated_paths(self.path, self.max_files)
        for older, newer in pairwise(paths):
            try:
                os.rename(newer, older)
            except FileNotFoundError:
                continue
        os.close(self.fd)
        self.fd = self._open()
        self.size = 0

    def close(self) -> None:
        os.close(self.fd)


class LinePump:
    """Splits a stream's bytes into lines (and over-long pieces) for the log."""

    def __init__(self, stream: str, writer: LogWriter | None) -> None:
        self.stream = stream
        self.writer = writer
        self.pending = b""

    def feed(self, chunk: bytes) -> None:
        """Log every whole line in ``chunk`` (plus what was pending)."""
        *lines, rest = (self.pending + chunk).split(b"\n")
        records = [record(self.stream, line + b"\n") for line in lines]
        while len(rest) >= MAX_RECORD:  # a line without end: split as Docker does
            records.append(record(self.stream, rest[:MAX_RECORD]))
            rest = rest[MAX_RECORD:]
        self.pending = rest
        if records and self.writer is not None:
            self.writer.write_records(records)

    def close(self) -> None:
        """Log a last line that had no newline."""
        if self.pending and self.writer is not None:
            self.writer.write(record(self.stream, self.pending))
        self.pending = b""
