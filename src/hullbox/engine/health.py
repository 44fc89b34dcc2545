"""Health checks: scheduled by the monitor, run by a probe process.

The monitor (``watch``) keeps one small thread per running container with a
check: it waits out the interval (the start interval during the start
period) and then starts ``python -m hullbox.engine.healthprobe``, which
execs the check inside the container (its namespaces and cgroup), enforces
the timeout, and records the result. So the monitor itself never loads the
runtime or holds a check's output: its idle memory does not grow.

The state is Docker's State.Health, kept in the container's row:
``{"Status": "starting"|"healthy"|"unhealthy", "FailingStreak": n,
"Log": [last 5 {"Start", "End", "ExitCode", "Output"}]}``.

This module runs inside the monitor: standard library and store only.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hullbox.engine.images import ImageService
    from hullbox.engine.settings.health import Healthcheck
    from hullbox.store.containers import ContainerRecord
    from hullbox.store.store import Store

STARTING, HEALTHY, UNHEALTHY = "starting", "healthy", "unhealthy"
LOG_ENTRIES = 5  # Docker keeps the last five results
MAX_OUTPUT = 4096  # and at most this many bytes of each one's output
PROBE_MODULE = "hullbox.engine.healthprobe"


class HealthState:
    """A container's State.Health."""

    def __init__(self, status: str, failing_streak: int = 0,
                 log: list[dict[str, Any]] | None = None) -> None:
        self.status = status
        self.failing_streak = failing_streak
        self.log = log or []

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HealthState:
        return cls(data.get("Status", STARTING), int(data.get("FailingStreak", 0)),
                   list(data.get("Log") or []))

    def to_inspect(self) -> dict[str, Any]:
        return {"Status": self.status, "FailingStreak": self.failing_streak, "Log": self.log}


def read_health(record: ContainerRecord) -> HealthState | None:
    """The container's health, None when it has no check."""
    return HealthState.from_json(record.health) if record.health else None


def apply_result(state: HealthState, entry: dict[str, Any], *, retries: int,
                 in_start_period: bool) -> HealthState:
    """Docker's rules: a success makes it healthy; a failure counts only after
    the start period, and ``retries`` of them in a row make it unhealthy."""
    log = [*state.log, entry][-LOG_ENTRIES:]
    if entry["ExitCode"] == 0:
        return HealthState(HEALTHY, 0, log)
    if in_start_period and state.status == STARTING:
        return HealthState(state.status, state.failing_streak, log)
    streak = state.failing_streak + 1
    return HealthState(UNHEALTHY if streak >= retries else state.status, streak, log)


def resolve_check(images: ImageService, record: ContainerRecord) -> Healthcheck | None:
    """The check that applies to the container: its flags over the image's HEALTHCHECK."""
    from hullbox.engine.settings.health import HealthSettings

    settings = HealthSettings.from_json((record.config or {}).get("health"))
    image = images.get(record.image_id).config.config
    return settings.merged(image.healthcheck)


class Watch:
    """The monitor's scheduler of one container run's health checks."""

    def __init__(self, store: Store, record: ContainerRecord, check: Healthcheck | None,
                 command: list[str]) -> None:
        self.store = store
        self.record = record
        self.check = check
        self.command = command
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.probe_pid = 0

    def start(self) -> None:
        """Called once the container runs: State.Health restarts at "starting"."""
        from hullbox.store import containers as container_db

        if self.check is None:
            if self.record.health:
                container_db.update(self.store, self.record.id, health={})
            return
        container_db.update(self.store, self.record.id,
                            health=HealthState(STARTING).to_inspect())
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Called when the container has exited: no more checks."""
        self.stopping.set()
        if self.probe_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.probe_pid, signal.SIGKILL)
        if self.thread is not None:
            self.thread.join(timeout=5)

    def _loop(self) -> None:
        assert self.check is not None
        started = time.monotonic()
        argument = json.dumps({"command": self.command, "timeout": self.check.timeout,
                               "retries": self.check.retries,
                               "start_period": self.check.start_period})
        while True:
            in_start = time.monotonic() - started < self.check.start_period / 1e9
            period = self.check.start_interval if in_start else self.check.interval
            if self.stopping.wait(period / 1e9):
                return
            argv = [sys.executable, "-m", PROBE_MODULE, str(self.store.root), self.record.id,
                    argument]
            try:
                self.probe_pid = os.posix_spawn(sys.executable, argv, os.environ)
            except OSError:
                continue  # out of processes or memory now: try at the next interval
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.probe_pid, 0)
            self.probe_pid = 0


def watch(store: Store, images: ImageService, record: ContainerRecord) -> Watch:
    """The health scheduler of the container (one that does nothing without a check)."""
    check = resolve_check(images, record)
    command: list[str] = []
    if check is not None:
        shell = images.get(record.image_id).config.config.shell
        command = check.command(shell)
    return Watch(store, record, check, command)
