"""Health check flags: --health-cmd, --health-interval, ..., --no-healthcheck (issue 3)."""

from __future__ import annotations

from typing import Any

import click

FLAGS: list[Any] = [
    click.option("--health-cmd", help="Command run inside to check health (through sh -c)."),
    click.option("--health-interval", help="Time between checks (e.g. 30s)."),
    click.option("--health-timeout", help="Longest a check may run (e.g. 30s)."),
    click.option("--health-retries", type=int, help="Failures in a row that make it unhealthy."),
    click.option("--health-start-period", help="Time to start before failures count."),
    click.option("--health-start-interval", help="Time between checks during the start period."),
    click.option("--no-healthcheck", is_flag=True, help="Disable the image's HEALTHCHECK."),
]


def to_options(params: dict[str, Any]) -> dict[str, Any]:
    from hullbox.engine.settings.health import HealthSettings

    return {"health": HealthSettings.parse(
        cmd=params.get("health_cmd"), interval=params.get("health_interval"),
        timeout=params.get("health_timeout"), start_period=params.get("health_start_period"),
        start_interval=params.get("health_start_interval"),
        retries=params.get("health_retries"), disabled=params.get("no_healthcheck", False),
    )}
