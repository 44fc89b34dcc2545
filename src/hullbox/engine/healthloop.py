"""The health scheduler of one container run, a child of its monitor:
``python -m hullbox.engine.healthloop ROOT ID CONTAINER_PID``.

The monitor's watching phase stays lean (standard library only), so the
checks are scheduled from this separate process, started by the monitor's
heavy phase once the container runs (only when the container has a check).
It runs the checks as engine.health says and ends when the container does;
the monitor reaps it when it records the exit.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
from pathlib import Path

MODULE = "hullbox.engine.healthloop"


def start_health_loop(root: str, container_id: str, container_pid: int) -> int:
    """Start the scheduler; returns its pid."""
    argv = [sys.executable, "-m", MODULE, root, container_id, str(container_pid)]
    return os.posix_spawn(sys.executable, argv, os.environ)


def main(argv: list[str]) -> int:
    from hullbox.engine.health import watch
    from hullbox.engine.images import ImageService
    from hullbox.store import containers as container_db
    from hullbox.store.store import Store

    root, container_id, pid = argv
    try:
        pidfd = os.pidfd_open(int(pid))
    except ProcessLookupError:
        return 0  # already gone
    store = Store(Path(root))
    record = container_db.get(store, container_id)
    if record is None:
        return 0
    checks = watch(store, ImageService(store), record)
    checks.start()
    with contextlib.suppress(InterruptedError):
        select.select([pidfd], [], [])  # readable once the container has exited
    checks.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
