"""The monitor's heavy phases (engine.monitor): ``start`` (lock, start the
container, report to the waiting command) and ``exited`` (record the end,
apply the restart policy, start again or finish). Each ends by exec'ing the
lean ``watch`` phase while a container runs."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from hullbox.engine import keeper_lock
from hullbox.engine.monitor import exec_phase
from hullbox.engine.options import ContainerOptions
from hullbox.engine.supervise import record_exit
from hullbox.errors import ContainerNotFound, HullboxError, RuntimeFailure
from hullbox.store import containers as container_db
from hullbox.store.containers import EXITED, RESTARTING, ContainerRecord
from hullbox.store.store import Store

# The exited phase, which `rm -f`, `stop` and `wait` wait for, imports only
# what recording the exit needs; starting a container (images, bundle,
# runtime) is imported where it happens.
if TYPE_CHECKING:
    from hullbox.engine.images import ImageService
    from hullbox.engine.supervise import Started


class Reporter:
    """The pipe back to the command waiting for the start: one message, then EOF."""

    def __init__(self, fd: int) -> None:
        self.fd: int | None = fd

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


def _become_watch(store: Store, record: ContainerRecord, lock_fd: int, started: Started) -> None:
    """Exec the lean phase, handing it the lock, the output and the log settings."""
    from hullbox.engine.logs import log_path

    settings = ContainerOptions.from_json(record.config).lifecycle
    log = "" if settings.log_driver == "none" else str(log_path(store.container_dir(record.id)))
    size, files = settings.rotation()
    fds = list(started.sources)
    for fd in (lock_fd, *fds):
        os.set_inheritable(fd, True)
    out, err = fds[0], fds[1] if len(fds) > 1 else -1
    stdin, master = started.forward or (-1, -1)
    if stdin >= 0:
        os.set_inheritable(stdin, True)
    for fd in started.held:
        os.set_inheritable(fd, True)
    held = ",".join(map(str, started.held)) or "-"
    exec_phase(str(store.root), record.id, "watch", str(started.pid), str(lock_fd), log,
               str(size), str(files), str(out), str(err), str(stdin), str(master), held)


def _touch_log(store: Store, record: ContainerRecord) -> None:
    """Make the log before reporting the start, so a ``logs -f`` right after
    ``run -d`` finds the file it follows."""
    from hullbox.engine.logs import log_path

    if ContainerOptions.from_json(record.config).lifecycle.log_driver != "none":
        os.close(os.open(log_path(store.container_dir(record.id)),
                         os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600))


def _sleep_unless_stopped(store: Store, container_id: str, seconds: float) -> bool:
    """Wait out the restart backoff; False when stop/kill/rm came meanwhile."""
    deadline = time.monotonic() + seconds
    while True:
        record = container_db.get(store, container_id)
        if record is None or record.stop_requested:
            return False
        if time.monotonic() >= deadline:
            return True
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


def start_phase(root: str, container_id: str, report_fd: int) -> int:
    """Start the container, tell the waiting command, become the watcher."""
    os.set_inheritable(report_fd, False)  # the container must not hold it open
    reporter = Reporter(report_fd)
    try:
        store = Store(Path(root))
        lock_fd = keeper_lock.hold(store.container_dir(container_id), container_id)
        record = container_db.get(store, container_id)
        if record is None:
            raise ContainerNotFound(f"no such container: {container_id}")
        container_db.update(store, container_id, monitor_pid=os.getpid(), stop_requested=0)
        _touch_log(store, record)
        from hullbox.engine.images import ImageService
        from hullbox.engine.supervise import launch

        images = ImageService(store)
        started = launch(store, images, record)
        _start_checks(store, images, record, started)
        reporter.started(started.pid)
        _become_watch(store, record, lock_fd, started)
    except BaseException as exc:
        reporter.failed(exc)
    return 125


def _start_checks(store: Store, images: ImageService, record: ContainerRecord,
                  started: Started) -> None:
    """Health checks run from a scheduler process of their own (engine.healthloop),
    so the watching phase stays lean; a container without a check has none."""
    from hullbox.engine.health import STARTING, HealthState, resolve_check
    if resolve_check(images, record) is None:
        if record.health:
            container_db.update(store, record.id, health={})
        return
    from hullbox.engine.healthloop import start_health_loop

    # "starting" before run -d returns (the scheduler would write it a moment
    # later): a ps right after run -d shows "(health: starting)", as docker's.
    container_db.update(store, record.id, health=HealthState(STARTING).to_inspect())

    start_health_loop(str(store.root), record.id, started.pid)


def _reap_children() -> None:
    """Collect the health scheduler of the run that ended (and any other child)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def exited_phase(root: str, container_id: str, lock_fd: int, wait_status: int,
                 held: list[int]) -> int:
    """Record the exit; restart as the policy says (becoming the watcher
    again), else finish: remove an --rm container; 0 when done. ``held``:
    the network's sockets of the run that ended, released once it is undone."""
    from hullbox.engine.restart import RestartPolicy, backoff

    os.set_inheritable(lock_fd, False)
    store = Store(Path(root))
    record = container_db.get(store, container_id)
    if record is None:
        return 0  # removed meanwhile (rm -f)
    code = record_exit(store, record, wait_status)
    # Only now that its ports are unpublished: released earlier, a port could
    # be picked by another container while its old rule still stands.
    for fd in held:
        with contextlib.suppress(OSError):
            os.close(fd)
    _reap_children()
    while True:
        latest = container_db.get(store, container_id)
        if latest is None:
            return 0
        record = latest
        policy = RestartPolicy.parse(record.restart_policy)
        if not policy.should_restart(code, record.restart_count, record.stop_requested):
            break
        container_db.update(store, container_id, state=RESTARTING)
        if not _sleep_unless_stopped(store, container_id, backoff(record.restart_count)):
            container_db.update(store, container_id, state=EXITED)
            break
        record.restart_count += 1
        container_db.update(store, container_id, restart_count=record.restart_count)
        from hullbox.engine.images import ImageService
        from hullbox.engine.supervise import launch

        images = ImageService(store)
        try:
            started = launch(store, images, record)
            _start_checks(store, images, record, started)
            _become_watch(store, record, lock_fd, started)
        except HullboxError as exc:
            code = exc.exit_code  # launch recorded the failure; the policy decides again
    if ContainerOptions.from_json(record.config).auto_remove:
        from hullbox.engine.containers import delete_container

        delete_container(store, container_id)
    return 0
