"""The per-container monitor: hullbox's conmon (DESIGN.md, "Processes").

``hullbox run -d`` and ``hullbox start`` start one per container, detached
(``detach.start_monitor``: double fork, setsid, stdio on /dev/null, then an
exec of ``python -m hullbox.engine.monitor ROOT ID REPORT_FD``). It

- is the container's parent: it runs the same ``launch_attached`` as a
  foreground ``run``, so the exit status comes from waitpid, and the store
  gets the pid, state, exit code and finish time even when the command that
  started it is gone;
- copies the container's stdout and stderr into the JSON-lines log;
- reports "started PID" or the failure on REPORT_FD, then closes it, so
  ``run -d`` returns once the container really runs;
- applies the restart policy, and exits with the container.

It is a fresh interpreter rather than a fork of the CLI so that it carries
only the modules it needs: its resident memory is the idle cost of every
detached container.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from hullbox.errors import Conflict, ContainerNotFound, HullboxError, RuntimeFailure

if TYPE_CHECKING:  # imported lazily at run time, like everything the monitor needs
    from hullbox.engine.images import ImageService
    from hullbox.store.containers import ContainerRecord
    from hullbox.store.store import Store


class Reporter:
    """The pipe back to the command waiting for the start: one message, then EOF."""

    def __init__(self, fd: int) -> None:
        self.fd: int | None = fd

    @property
    def done(self) -> bool:
        return self.fd is None

    def _send(self, message: str) -> None:
        if self.fd is None:
            return
        # OSError: the command was killed; nobody waits, the monitor goes on.
        with contextlib.suppress(OSError):
            os.write(self.fd, message.encode(errors="replace"))
        os.close(self.fd)
        self.fd = None

    def started(self, pid: int) -> None:
        self._send(f"started {pid}\n")

    def failed(self, exc: BaseException) -> None:
        if not isinstance(exc, HullboxError):
            exc = RuntimeFailure(f"container monitor: {type(exc).__name__}: {exc}")
        message = " ".join(str(exc).split())  # one line, whatever the error said
        self._send(f"failed {type(exc).__name__} {exc.exit_code} {message}\n")


def _hold_lock(container_dir: Path, container_id: str) -> int:
    """One monitor per container: a second ``start`` racing the first loses here.
    The lock lives as long as this process (the descriptor is never closed)."""
    fd = os.open(container_dir / "monitor.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise Conflict(f"container {container_id[:12]} is already running") from None
    return fd


def _run_once(store: Store, images: ImageService, record: ContainerRecord, log_fd: int,
              reporter: Reporter) -> int:
    """Run the container once, its output into the log; returns its exit code.
    The pump thread starts only once the container runs, so the runtime's
    fork happens while this process has a single thread."""
    from hullbox.engine.health import watch
    from hullbox.engine.launch import launch_attached
    from hullbox.engine.logs import pump

    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    err_r, err_w = os.pipe2(os.O_CLOEXEC)
    thread = threading.Thread(target=pump, args=({out_r: "stdout", err_r: "stderr"}, log_fd),
                              daemon=True)

    health = watch(store, images, record)

    def started(pid: int) -> None:
        thread.start()
        health.start()
        reporter.started(pid)

    from hullbox.engine.attach import open_stdin
    from hullbox.engine.options import ContainerOptions

    stdin = open_stdin(store.container_dir(record.id),
                       ContainerOptions.from_json(record.config).interactive)
    try:
        return launch_attached(store, images, record, stdin=stdin, stdout=out_w,
                               stderr=err_w, on_start=started)
    except HullboxError as exc:
        if not reporter.done:
            raise
        return exc.exit_code  # a restart that failed: launch_attached recorded it
    finally:
        health.stop()
        if stdin is not None:
            os.close(stdin)
        os.close(out_w)
        os.close(err_w)
        if thread.is_alive():
            # EOF comes once the container's processes are gone; a descriptor
            # leaked to some other process must not keep the monitor forever.
            thread.join(timeout=5)
        if not thread.is_alive():
            os.close(out_r)
            os.close(err_r)


def _sleep_unless_stopped(store: Store, container_id: str, seconds: float) -> bool:
    """Wait out the restart backoff; False when stop/kill/rm came meanwhile."""
    from hullbox.store import containers as container_db

    deadline = time.monotonic() + seconds
    while True:
        record = container_db.get(store, container_id)
        if record is None or record.stop_requested:
            return False
        if time.monotonic() >= deadline:
            return True
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


def monitor(root: Path, container_id: str, reporter: Reporter) -> int:
    """Run the container, and again as its restart policy says; 0 when done."""
    from hullbox.engine.images import ImageService
    from hullbox.engine.logs import log_path
    from hullbox.engine.options import ContainerOptions
    from hullbox.engine.restart import RestartPolicy, backoff
    from hullbox.store import containers as container_db
    from hullbox.store.containers import EXITED, RESTARTING
    from hullbox.store.store import Store

    store = Store(root)
    container_dir = store.container_dir(container_id)
    _hold_lock(container_dir, container_id)
    record = container_db.get(store, container_id)
    if record is None:
        raise ContainerNotFound(f"no such container: {container_id}")
    container_db.update(store, container_id, monitor_pid=os.getpid(), stop_requested=0)
    log_fd = os.open(log_path(container_dir), os.O_WRONLY | os.O_APPEND | os.O_CREAT
                     | os.O_CLOEXEC, 0o600)
    policy = RestartPolicy.parse(record.restart_policy)
    images = ImageService(store)
    while True:
        code = _run_once(store, images, record, log_fd, reporter)
        latest = container_db.get(store, container_id)
        if latest is None:
            return 0  # removed meanwhile (rm -f)
        record = latest
        if not policy.should_restart(code, record.restart_count, record.stop_requested):
            break
        container_db.update(store, container_id, state=RESTARTING)
        if not _sleep_unless_stopped(store, container_id, backoff(record.restart_count)):
            container_db.update(store, container_id, state=EXITED)
            break
        record.restart_count += 1
        container_db.update(store, container_id, restart_count=record.restart_count)
    os.close(log_fd)
    if ContainerOptions.from_json(record.config).auto_remove:
        from hullbox.engine.containers import delete_container

        delete_container(store, container_id)
    return 0


def main(argv: list[str]) -> int:
    """``python -m hullbox.engine.monitor ROOT ID REPORT_FD``."""
    root, container_id, report_fd = Path(argv[0]), argv[1], int(argv[2])
    os.set_inheritable(report_fd, False)  # the container must not hold it open
    reporter = Reporter(report_fd)
    try:
        return monitor(root, container_id, reporter)
    except BaseException as exc:
        reporter.failed(exc)
        return 125


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
