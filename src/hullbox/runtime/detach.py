"""Detaching from a terminal container with the detach keys (Docker's
``--detach-keys``, ctrl-p,ctrl-q by default).

The process that copies the user's keystrokes into the container's pty
(``pty.proxy``) asks ``active()`` whether it may detach: the CLI installs a
``Detacher`` in a process that can go on keeping the container when the user
leaves (cli/foreground.py). The keys are held back while they may still be
the sequence, and passed on when they turn out not to be, as Docker does.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


class Detacher:
    """Scans keystrokes for ``keys``; ``on_detach`` runs once they are typed."""

    def __init__(self, keys: bytes, on_detach: Callable[[], None]) -> None:
        self.keys = keys
        self.on_detach = on_detach
        self.detached = False
        self._matched = b""

    def scan(self, data: bytes) -> bytes:
        """The bytes to pass on. At the keys ``on_detach`` runs (once), and
        the rest of ``data``, typed at the terminal being let go, is dropped;
        what comes later (from whoever has the input then) passes."""
        out = bytearray()
        for byte in data:
            candidate = self._matched + bytes([byte])
            if self.keys and self.keys.startswith(candidate):
                self._matched = candidate
                if candidate == self.keys:
                    self._matched = b""
                    if not self.detached:
                        self.detached = True
                        self.on_detach()
                    return bytes(out)
                continue
            out += candidate  # not the sequence: what was held back goes on too
            self._matched = b""
        return bytes(out)


_active: list[Detacher] = []


def install(detacher: Detacher) -> None:
    """Let this process's terminal proxy detach with ``detacher``."""
    _active[:] = [detacher]


def active() -> Detacher | None:
    """The installed Detacher, if this process may detach."""
    return _active[0] if _active else None
