"""Lifecycle flags: --restart, --stop-signal, --stop-timeout, --log-driver, --log-opt."""

from __future__ import annotations

from typing import Any

import click

FLAGS = [
    click.option("--restart", "restart", default=None, metavar="POLICY",
                 help="no, always, unless-stopped, on-failure[:N] (with -d)."),
    click.option("--stop-signal", default=None, metavar="SIGNAL",
                 help="Signal that stops the container (default: the image's, else TERM)."),
    click.option("--stop-timeout", type=int, default=None, metavar="SECONDS",
                 help="Seconds stop waits before SIGKILL (default 10; -1 for ever)."),
    click.option("--log-driver", default=None, metavar="DRIVER",
                 help="json-file (default), local or none."),
    click.option("--log-opt", "log_opts", multiple=True, metavar="KEY=VALUE",
                 help="Log driver option: max-size=10m, max-file=3."),
]


def to_options(params: dict[str, Any]) -> dict[str, Any]:
    from hullbox.engine.settings.lifecycle import LifecycleSettings

    return {"lifecycle": LifecycleSettings.parse(
        restart=params.get("restart"),
        stop_signal=params.get("stop_signal"),
        stop_timeout=params.get("stop_timeout"),
        log_driver=params.get("log_driver"),
        log_opts=params.get("log_opts") or (),
    )}
