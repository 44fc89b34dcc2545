"""The HEALTHCHECK instruction as an image config's ``Healthcheck``.

    HEALTHCHECK [--interval=D] [--timeout=D] [--start-period=D] [--start-interval=D]
                [--retries=N] CMD command | CMD ["exec", "form"]
    HEALTHCHECK NONE

Durations are Go durations (``30s``, ``1m30s``, ``500ms``), stored in
nanoseconds as Docker stores them.
"""

from __future__ import annotations

import json
import re
from typing import Any

_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
          "m": 60_000_000_000, "h": 3_600_000_000_000}
_FLAGS = {"interval": "Interval", "timeout": "Timeout", "start-period": "StartPeriod",
          "start-interval": "StartInterval", "retries": "Retries"}


def parse_duration(text: str) -> int:
    """A Go duration in nanoseconds; ValueError when it is not one."""
    value = text.strip()
    if value == "0":
        return 0
    position, total = 0, 0.0
    for match in _PART.finditer(value):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if not value or position != len(value):
        raise ValueError(f"{text!r} is not a duration (use e.g. 2s, 500ms, 1m30s)")
    return int(total)


def parse_healthcheck(text: str) -> dict[str, Any]:
    """The ``Healthcheck`` object for the arguments of a HEALTHCHECK
    instruction; ValueError naming what is wrong."""
    words = text.strip().split(None, 1)
    config: dict[str, Any] = {}
    while words and words[0].startswith("--"):
        name, sep, value = words[0][2:].partition("=")
        if name not in _FLAGS or not sep:
            raise ValueError(f"HEALTHCHECK: unknown flag {words[0]!r}; use "
                             + ", ".join(f"--{f}=..." for f in _FLAGS))
        if name == "retries":
            if not value.isdigit():
                raise ValueError(f"HEALTHCHECK: --retries={value} is not a number")
            config["Retries"] = int(value)
        else:
            config[_FLAGS[name]] = parse_duration(value)
        words = words[1].split(None, 1) if len(words) > 1 else []
    kind = words[0].upper() if words else ""
    if kind == "NONE":
        if config or len(words) > 1:
            raise ValueError("HEALTHCHECK NONE takes no flags or arguments")
        return {"Test": ["NONE"]}
    if kind != "CMD" or len(words) < 2:
        raise ValueError("HEALTHCHECK needs CMD and a command, or NONE")
    command = words[1].strip()
    exec_form = None
    if command.startswith("["):
        try:
            exec_form = json.loads(command)
        except ValueError:
            exec_form = None
    if isinstance(exec_form, list) and all(isinstance(w, str) for w in exec_form):
        config["Test"] = ["CMD", *exec_form]
    else:
        config["Test"] = ["CMD-SHELL", command]
    return config
