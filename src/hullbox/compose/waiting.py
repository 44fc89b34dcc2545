"""``depends_on`` conditions, waited for before a dependent service starts:
``service_started`` (its containers run: ``start`` returns once they do),
``service_healthy`` (each container's health check reports healthy) and
``service_completed_successfully`` (each container exited 0). A dependency
that can never meet its condition fails ``up`` with one line naming it."""

from __future__ import annotations

import time
from typing import Any

from hullbox.errors import InvalidArgument, RuntimeFailure

SECOND = 1_000_000_000
SLACK = 10.0  # seconds past the last moment the check could still turn healthy


def _health_deadline(engine: Any, record: Any) -> float | None:
    """Seconds after which a check that neither passed nor failed for good
    is hung: its start period plus retries+1 rounds of interval and timeout;
    None when the container has no health check."""
    from hullbox.engine.health import resolve_check

    check = resolve_check(engine.images, record)
    if check is None:
        return None
    rounds = (check.retries + 1) * (check.interval + check.timeout)
    return (check.start_period + rounds) / SECOND + SLACK


def _health_status(record: Any) -> str:
    """The container's health status; "starting" while the status is still
    the one of its previous run (a container started again keeps it until
    its monitor resets it, a moment after ``start`` returned)."""
    from hullbox.engine.health import STARTING, read_health
    from hullbox.engine.logwriter import timestamp

    health = read_health(record)
    if health is None:
        return ""
    since = timestamp(int(record.started * SECOND))
    if health.status != STARTING and not any(
            str(entry.get("Start", "")) >= since for entry in health.log[-1:]):
        return STARTING
    return health.status


def wait_healthy(engine: Any, record: Any, dep: str, dependent: str,
                 timeout: float | None) -> None:
    """Until ``record`` is healthy; RuntimeFailure when it turns unhealthy,
    exits, or the timeout passes."""
    from hullbox.engine.health import HEALTHY, UNHEALTHY
    from hullbox.engine.lifecycle import is_active

    bound = _health_deadline(engine, record)
    if bound is None:
        raise InvalidArgument(
            f"service {dependent!r} depends on {dep!r} being healthy, but container "
            f"{record.name} has no health check; add a healthcheck to {dep!r} or use "
            "condition: service_started")
    limit = timeout if timeout is not None else bound
    deadline = time.monotonic() + limit
    while True:
        current = engine.containers.get(record.id)
        status = _health_status(current)
        if status == HEALTHY:
            return
        if status == UNHEALTHY:
            raise RuntimeFailure(f"dependency failed to start: container {current.name} is "
                                 f"unhealthy; {dependent!r} not started")
        if not is_active(current):
            raise RuntimeFailure(f"dependency failed to start: container {current.name} "
                                 f"exited ({current.exit_code}) before it was healthy; "
                                 f"{dependent!r} not started")
        if time.monotonic() > deadline:
            raise RuntimeFailure(f"dependency failed to start: container {current.name} was "
                                 f"not healthy within {limit:.0f}s; {dependent!r} not started")
        time.sleep(0.1)


def wait_completed(engine: Any, record: Any, dep: str, dependent: str,
                   timeout: float | None) -> None:
    """Until ``record`` exited; RuntimeFailure unless it exited 0 in time."""
    from hullbox.engine.lifecycle import is_active

    deadline = None if timeout is None else time.monotonic() + timeout
    while is_active(current := engine.containers.get(record.id)):
        if deadline is not None and time.monotonic() > deadline:
            raise RuntimeFailure(f"service {dep!r} did not complete within {timeout:.0f}s: "
                                 f"container {current.name} still runs; {dependent!r} not "
                                 "started")
        time.sleep(0.05)
    code = engine.containers.wait(record.id)
    if code != 0:
        raise RuntimeFailure(
            f"service {dep!r} did not complete successfully: container "
            f"{record.name} exited with {code}; {dependent!r} not started")


def wait_for(engine: Any, records: list[Any], dep: str, condition: str, dependent: str,
             timeout: float | None = None) -> None:
    """Wait until every container of ``dep`` meets ``condition``."""
    for record in records:
        if condition == "service_healthy":
            wait_healthy(engine, record, dep, dependent, timeout)
        elif condition == "service_completed_successfully":
            wait_completed(engine, record, dep, dependent, timeout)


def wait_ready(engine: Any, records: list[Any], timeout: float | None) -> None:
    """``up --wait``: until every container runs, and is healthy when it has a
    health check; RuntimeFailure naming the first that exits, turns unhealthy
    or is not ready in time."""
    from hullbox.engine.health import HEALTHY, UNHEALTHY
    from hullbox.engine.lifecycle import is_active

    bounds = [_health_deadline(engine, record) for record in records]
    limit = timeout if timeout is not None else max([b for b in bounds if b] or [SLACK])
    deadline = time.monotonic() + limit
    pending = [(record, bound is not None) for record, bound in zip(records, bounds,
                                                                    strict=True)]
    while pending:
        waiting: list[tuple[Any, bool]] = []
        for record, checked in pending:
            current = engine.containers.get(record.id)
            if not is_active(current):
                raise RuntimeFailure(f"container {current.name} exited ({current.exit_code}) "
                                     "while waiting for the project to be ready")
            status = _health_status(current) if checked else ""
            if status == UNHEALTHY:
                raise RuntimeFailure(f"container {current.name} is unhealthy")
            if checked and status != HEALTHY:
                waiting.append((record, checked))
        pending = waiting
        if pending and time.monotonic() > deadline:
            names = ", ".join(record.name for record, _ in pending)
            raise RuntimeFailure(f"not healthy within {limit:.0f}s: {names}")
        if pending:
            time.sleep(0.1)
