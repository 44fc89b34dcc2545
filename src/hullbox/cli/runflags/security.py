"""Security flags: --cap-add/--cap-drop, --privileged, --security-opt, --device,
--sysctl, --ulimit, --userns (issue 4)."""

from __future__ import annotations

from typing import Any

FLAGS: list[Any] = []


def to_options(params: dict[str, Any]) -> dict[str, Any]:
    return {}
