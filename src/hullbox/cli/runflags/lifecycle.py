"""Lifecycle flags: --restart (issue 3 adds --stop-signal, --stop-timeout, --log-opt)."""

from __future__ import annotations

from typing import Any

import click

FLAGS = [
    click.option("--restart", "restart", default=None, metavar="POLICY",
                 help="no, always, unless-stopped, on-failure[:N] (with -d)."),
]


def to_options(params: dict[str, Any]) -> dict[str, Any]:
    # The restart policy is passed to the engine apart from the options.
    return {}
