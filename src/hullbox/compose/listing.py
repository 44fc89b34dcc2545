"""``compose ls`` and ``compose wait``: the projects the store's containers
belong to (by Docker Compose's labels, so no compose file is needed), and
waiting for a project's containers to stop."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

from hullbox.compose import naming
from hullbox.compose.bound import BoundProject
from hullbox.engine.runstatus import status as state_of
from hullbox.linux.sigthreads import start_daemon
from hullbox.store.containers import ContainerRecord


def projects(engine: Any, *, everything: bool) -> list[dict[str, str]]:
    """Name, Status (``exited(1), running(2)``) and ConfigFiles of every
    project with a running container (any container, with ``everything``)."""
    found: dict[str, list[ContainerRecord]] = {}
    for record in engine.containers.list(all=everything,
                                         filters={"label": [naming.LABEL_PROJECT]}):
        project = (record.config.get("labels") or {}).get(naming.LABEL_PROJECT)
        if project:
            found.setdefault(str(project), []).append(record)
    out = []
    for name, records in sorted(found.items()):
        states: dict[str, int] = {}
        files: list[str] = []
        for record in records:
            state = state_of(record)
            states[state] = states.get(state, 0) + 1
            labels = record.config.get("labels") or {}
            for path in str(labels.get(naming.LABEL_CONFIG_FILES, "")).split(","):
                if path and path not in files:
                    files.append(path)
        status = ", ".join(f"{state}({count})" for state, count in sorted(states.items()))
        out.append({"Name": name, "Status": status, "ConfigFiles": ",".join(files)})
    return out


def wait_exits(bound: BoundProject,
               records: list[ContainerRecord]) -> Iterator[tuple[ContainerRecord, int]]:
    """(container, exit code) as each of ``records`` stops, side by side."""
    exits: queue.Queue[tuple[ContainerRecord, int]] = queue.Queue()

    def wait(record: ContainerRecord) -> None:
        with bound.own_engine() as own:
            exits.put((record, int(own.engine.containers.wait(record.id))))

    for record in records:
        start_daemon(wait, record)  # Ctrl-C must wake the main thread's get() below
    for _ in records:
        yield exits.get()
