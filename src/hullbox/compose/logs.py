"""The output of a project's containers, each line prefixed with its
container's name as ``docker compose logs`` does; with ``follow`` the
containers are read side by side until all of them have stopped."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

from hullbox.store.containers import ContainerRecord


def project_logs(engine: Any, records: list[ContainerRecord], *, follow: bool = False,
                 tail: int | None = None,
                 timestamps: bool = False) -> Iterator[tuple[str, bytes]]:
    """(container name, line) pairs; lines keep their newline."""
    def lines(record: ContainerRecord, own: Any = engine) -> Iterator[bytes]:
        for entry in own.containers.logs(record.id, follow=follow, tail=tail):
            yield (entry.time.encode() + b" " if timestamps else b"") + entry.data

    if not follow:
        for record in records:
            for line in lines(record):
                yield record.name, line
        return
    pipe: queue.Queue[tuple[str, bytes] | None] = queue.Queue()

    def pump(record: ContainerRecord) -> None:
        # A store's SQLite connection belongs to one thread: each reader opens its own.
        from hullbox.engine.engine import Engine

        try:
            with Engine(engine.store.root) as own:
                for line in lines(record, own):
                    pipe.put((record.name, line))
        finally:
            pipe.put(None)

    threads = [threading.Thread(target=pump, args=(r,), daemon=True) for r in records]
    for thread in threads:
        thread.start()
    running = len(threads)
    while running:
        item = pipe.get()
        if item is None:
            running -= 1
        else:
            yield item
