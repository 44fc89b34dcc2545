"""Networking flags: --network (issue 7 adds -p, -P, --dns, --add-host, ...)."""

from __future__ import annotations

from typing import Any

import click

FLAGS = [
    click.option("--network", "--net", "network", default="default",
                 help="none, host, or default."),
]


def to_options(params: dict[str, Any]) -> dict[str, Any]:
    network = params.get("network") or "default"
    return {"network": "default" if network == "bridge" else network}
