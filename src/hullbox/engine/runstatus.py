"""What ps, inspect and the filters show of a running container beyond the
stored state: paused (from its freezer) and its health (from the monitor's
health checks)."""

from __future__ import annotations

from typing import Any

from hullbox.store.containers import RUNNING, ContainerRecord


def paused(record: ContainerRecord) -> bool:
    """Whether a running container is frozen."""
    from hullbox.engine.pause import is_paused

    return record.state == RUNNING and is_paused(record.id)


def status(record: ContainerRecord) -> str:
    """Docker's State.Status: the stored state, or ``paused``."""
    return "paused" if paused(record) else record.state


def health_status(record: ContainerRecord) -> str:
    """starting, healthy or unhealthy; "" for a container without a health check
    or not running."""
    from hullbox.engine.health import read_health

    if record.state != RUNNING:
        return ""
    health = read_health(record)
    return health.status if health is not None else ""


def running_note(record: ContainerRecord) -> str:
    """What ps adds after "Up 3 seconds": " (Paused)", " (healthy)", ..."""
    if record.state != RUNNING:
        return ""
    if paused(record):
        return " (Paused)"
    health = health_status(record)
    if health == "starting":
        return " (health: starting)"
    return f" ({health})" if health else ""


def add_to_inspect(doc: dict[str, Any], record: ContainerRecord) -> None:
    """State.Status, State.Paused and State.Health in ``inspect``'s document."""
    from hullbox.engine.health import read_health

    state = doc["State"]
    state["Paused"] = paused(record)
    if state["Paused"]:
        state["Status"] = "paused"
    health = read_health(record)
    if health is not None:
        state["Health"] = health.to_inspect()
    from hullbox.engine.settings.health import HealthSettings

    own = HealthSettings.from_json((record.config or {}).get("health"))
    if own.test:
        doc["Config"]["Healthcheck"] = {
            "Test": own.test, "Interval": own.interval, "Timeout": own.timeout,
            "StartPeriod": own.start_period, "StartInterval": own.start_interval,
            "Retries": own.retries}
