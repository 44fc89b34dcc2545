"""Health check flags: --health-cmd, --health-interval, ..., --no-healthcheck (issue 3)."""

from __future__ import annotations

from typing import Any

FLAGS: list[Any] = []


def to_options(params: dict[str, Any]) -> dict[str, Any]:
    return {}
