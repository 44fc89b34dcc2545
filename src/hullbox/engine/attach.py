"""``attach``: the live output of a detached container, and its stdin when it
was started with -i.

Output comes from the container's log as the monitor writes it (so several
attached clients and ``logs -f`` see the same lines). Input goes through a
FIFO in the container's directory: the monitor opens it read-write and
gives it to the container as stdin, so the container never sees an EOF
when a client leaves (as with Docker, stdin stays open). Ctrl-P Ctrl-Q
detaches (the detach keys), leaving the container running.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

STDIN_FIFO = "stdin.fifo"
DETACH_KEYS = b"\x10\x11"  # ctrl-p ctrl-q


def open_stdin(container_dir: Path, interactive: bool) -> int | None:
    """The monitor's side: the container's stdin for a run (None without -i)."""
    if not interactive:
        return None
    fifo = container_dir / STDIN_FIFO
    with contextlib.suppress(FileExistsError):
        os.mkfifo(fifo, 0o600)
    # read-write: this process is a writer too, so readers never get EOF
    return os.open(fifo, os.O_RDWR | os.O_CLOEXEC)


def parse_detach_keys(text: str) -> bytes:
    """Docker's --detach-keys: ``ctrl-p,ctrl-q``, ``ctrl-x``, ``a``... as bytes."""
    from hullbox.errors import InvalidArgument

    out = bytearray()
    for key in text.split(","):
        key = key.strip().lower()
        if len(key) == 1:
            out.append(ord(key))
        elif key.startswith("ctrl-") and len(key) == 6 and "a" <= key[5] <= "z":
            out.append(ord(key[5]) - ord("a") + 1)
        elif key in ("ctrl-@", "ctrl-[", "ctrl-\\", "ctrl-]", "ctrl-^", "ctrl-_"):
            out.append({"@": 0, "[": 27, "\\": 28, "]": 29, "^": 30, "_": 31}[key[5]])
        else:
            raise InvalidArgument(f"invalid --detach-keys {text!r}: use keys like "
                                  "ctrl-p,ctrl-q or a single letter")
    return bytes(out)


class StdinCopier:
    """Copies the client's stdin into the container's FIFO until EOF or the
    detach keys; ``detached`` is set when the keys were typed."""

    def __init__(self, source: int, fifo: Path, keys: bytes) -> None:
        self.source = source
        self.fifo = fifo
        self.keys = keys
        self.detached = threading.Event()

    def run(self) -> None:
        target = os.open(self.fifo, os.O_WRONLY | os.O_CLOEXEC)
        matched = b""
        try:
            while True:
                data = os.read(self.source, 4096)
                if not data:
                    return  # EOF: the container keeps its stdin open
                out = bytearray()
                for byte in data:
                    candidate = matched + bytes([byte])
                    if self.keys and self.keys.startswith(candidate):
                        matched = candidate
                        if matched == self.keys:
                            self.detached.set()
                            return
                        continue
                    out += matched + bytes([byte])  # not the sequence: pass it all on
                    matched = b""
                if out:
                    os.write(target, out)
        finally:
            os.close(target)
