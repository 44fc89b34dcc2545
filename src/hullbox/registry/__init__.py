"""The OCI distribution protocol: pull, push and login over HTTP (httpx).

Nothing here is imported on the ``hullbox run`` path: ``engine.distribution``
imports this package only when a registry verb runs, because httpx and its
dependencies cost tens of milliseconds to load.
"""

import sys
import types


def _without_httpx_cli() -> None:
    """httpx's package init imports its command-line client (``httpx._main``,
    which loads rich's console, pygments and click) only to offer
    ``httpx.main``, which hullbox never calls: a tenth of a CPU-second on
    every registry verb. A stand-in module is imported instead."""
    if "httpx._main" in sys.modules:
        return
    stand_in = types.ModuleType("httpx._main", "not loaded by hullbox")

    def main() -> None:
        raise SystemExit("the httpx command line is not available in hullbox")

    stand_in.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = stand_in


_without_httpx_cli()
