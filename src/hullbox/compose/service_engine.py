"""Which engine runs a service's containers: ``runtime`` (hullbox's
``--runtime`` values: the built-in runtime or an installed runc/crun) and
``isolation`` (``--isolation``: ``process``, Docker's ``default``, or ``vm``
for a microVM with its own kernel), checked before anything is made."""

from __future__ import annotations

from typing import Any

from hullbox.errors import InvalidArgument


def engine_choice(service: dict[str, Any]) -> dict[str, Any]:
    """``ContainerOptions.parse`` keywords for ``runtime`` and ``isolation``."""
    from hullbox.engine.hostinfo import RUNTIMES, runtimes

    choice: dict[str, Any] = {}
    runtime = service.get("runtime")
    if runtime:
        known = ["hullbox", *RUNTIMES]
        if runtime not in known:
            raise InvalidArgument(f"runtime {runtime!r} is unknown; use one of "
                                  f"{', '.join(known)}")
        if runtime not in runtimes():
            raise InvalidArgument(f"runtime {runtime!r} is not installed; install it "
                                  f"(apt-get install {runtime}) or drop runtime:")
        choice["runtime"] = str(runtime)
    isolation = service.get("isolation")
    if isolation:
        choice["isolation_kind"] = str(isolation)
    return choice
