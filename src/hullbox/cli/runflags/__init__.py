"""The flags ``run`` and ``create`` share, one module per concern. Each module
has ``FLAGS`` (click options, in help order) and ``to_options(params)``, which
turns the parsed values into keyword arguments of ``ContainerOptions.parse``."""

from __future__ import annotations

from typing import Any

from hullbox.cli.runflags import (
    basic,
    behaviour,
    health,
    isolation,
    lifecycle,
    namespaces,
    network,
    podman,
    resources,
    security,
    storage,
)

GROUPS = (basic, network, storage, security, health, lifecycle, isolation, namespaces,
          resources, behaviour, podman)


def container_options(fn: Any) -> Any:
    """Decorate a command with every group's flags."""
    for group in reversed(GROUPS):
        for option in reversed(group.FLAGS):
            fn = option(fn)
    return fn


def build_options(params: dict[str, Any]) -> Any:
    """ContainerOptions from the parsed flags of ``run``/``create``."""
    from hullbox.engine.options import ContainerOptions

    kwargs: dict[str, Any] = {}
    for group in GROUPS:
        kwargs.update(group.to_options(params))
    return ContainerOptions.parse(**kwargs)
