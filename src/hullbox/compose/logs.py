"""The output of a project's containers, each line prefixed with its
container's name as ``docker compose logs`` does; with ``follow`` the
containers are read side by side until all of them have stopped."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

from hullbox.linux.sigthreads import start_daemon
from hullbox.store.containers import ContainerRecord


def _lines(engine: Any, record: ContainerRecord, *, follow: bool, tail: int | None,
           timestamps: bool) -> Iterator[bytes]:
    for entry in engine.containers.logs(record.id, follow=follow, tail=tail):
        yield (entry.time.encode() + b" " if timestamps else b"") + entry.data


def follow_logs(engine: Any, records: list[ContainerRecord], *, tail: int | None = None,
                timestamps: bool = False) -> Iterator[tuple[ContainerRecord, bytes | None]]:
    """(container, line) pairs as the containers write them, and (container,
    None) once a container has stopped; ends when all of them have."""
    pipe: queue.Queue[tuple[ContainerRecord, bytes | None]] = queue.Queue()

    def pump(record: ContainerRecord) -> None:
        # A store's SQLite connection belongs to one thread: each reader opens its own.
        from hullbox.engine.engine import Engine

        try:
            with Engine(engine.store.root) as own:
                for line in _lines(own, record, follow=True, tail=tail, timestamps=timestamps):
                    pipe.put((record, line))
        finally:
            pipe.put((record, None))

    for record in records:
        start_daemon(pump, record)  # Ctrl-C must wake the main thread's get() below
    running = len(records)
    while running:
        item = pipe.get()
        running -= item[1] is None
        yield item


def project_logs(engine: Any, records: list[ContainerRecord], *, follow: bool = False,
                 tail: int | None = None,
                 timestamps: bool = False) -> Iterator[tuple[ContainerRecord, bytes]]:
    """(container, line) pairs; lines keep their newline."""
    if not follow:
        for record in records:
            for line in _lines(engine, record, follow=False, tail=tail, timestamps=timestamps):
                yield record, line
        return
    for record, data in follow_logs(engine, records, tail=tail, timestamps=timestamps):
        if data is not None:
            yield record, data
