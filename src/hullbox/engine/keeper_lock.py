"""The lock a container's keeper holds while the container runs: the detached
monitor, or the foreground ``hullbox run``/``start -a`` process.

The lock proves the keeper alive without trusting a pid that may be reused,
and it closes the window between the keeper reaping the container and
recording its exit code: a reader that finds the container's pid gone while
the lock is held knows the exit is about to be recorded, not lost."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from hullbox.errors import Conflict

LOCK_NAME = "monitor.lock"


def hold(container_dir: Path, container_id: str) -> int:
    """Take the lock (one keeper per container: a second ``start`` racing the
    first loses here); returns the descriptor, which holds it until closed.
    It is close-on-exec: the container's process must not inherit it."""
    fd = os.open(container_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise Conflict(f"container {container_id[:12]} is already running") from None
    return fd


def is_held(container_dir: Path) -> bool:
    """Whether some keeper holds the lock now (a missing directory: no)."""
    try:
        fd = os.open(container_dir / LOCK_NAME, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
    return False
