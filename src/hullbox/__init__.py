"""hullbox: a daemonless, Docker-compatible container engine.

``from hullbox import Engine`` is the Python API. The import is lazy so that the
CLI, which imports this package on every ``hullbox run``, pays nothing for it.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing itself costs ~9 ms to import; only mypy needs it

__version__ = "0.1.0"
__all__ = ["Engine", "HullboxError", "__version__"]

if TYPE_CHECKING:
    from typing import Any

    from hullbox.engine.engine import Engine
    from hullbox.errors import HullboxError


def __getattr__(name: str) -> Any:
    if name == "Engine":
        from hullbox.engine.engine import Engine

        return Engine
    if name == "HullboxError":
        from hullbox.errors import HullboxError

        return HullboxError
    raise AttributeError(f"module 'hullbox' has no attribute {name!r}")
