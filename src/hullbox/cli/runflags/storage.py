"""Volume and mount flags: -v, --mount, --tmpfs, --volumes-from (issue 7)."""

from __future__ import annotations

from typing import Any

FLAGS: list[Any] = []


def to_options(params: dict[str, Any]) -> dict[str, Any]:
    return {}
