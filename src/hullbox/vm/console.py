"""Attaching a terminal to a machine's serial console (a unix socket QEMU
serves), with a detach key sequence like ``docker attach``'s."""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import sys
import termios
import tty
from collections.abc import Iterator
from pathlib import Path

from hullbox.errors import InvalidArgument, MachineFailure

DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q"


def parse_detach_keys(spec: str) -> bytes:
    """Docker's syntax: comma-separated ``ctrl-X`` or single characters."""
    keys = bytearray()
    for part in spec.split(","):
        if len(part) == 1:
            keys.append(ord(part))
        elif part.lower().startswith("ctrl-") and len(part) == 6:
            char = part[5].lower()
            code = {"@": 0, "[": 27, "\\": 28, "]": 29, "^": 30, "_": 31}.get(char)
            keys.append(code if code is not None else ord(char) & 0x1F)
        else:
            raise InvalidArgument(f"invalid detach keys {spec!r}: use e.g. ctrl-p,ctrl-q")
    return bytes(keys)


@contextlib.contextmanager
def _raw_terminal(fd: int) -> Iterator[None]:
    if not os.isatty(fd):
        yield
        return
    saved = termios.tcgetattr(fd)
    tty.setraw(fd)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def attach(console: Path, name: str, detach_keys: bytes, banner: str = "") -> bool:
    """Relay stdin to the console and the console to stdout until the detach
    keys are typed (True) or the machine goes away (False). ``banner`` goes to
    a terminal's stderr once keys typed from then on reach the guest."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(console))
    except OSError as exc:
        conn.close()
        raise MachineFailure(f"VM {name}: cannot attach to its console: {exc.strerror}") from None
    stdin, stdout = sys.stdin.fileno(), sys.stdout.fileno()
    selector = selectors.DefaultSelector()
    selector.register(conn, selectors.EVENT_READ)
    selector.register(stdin, selectors.EVENT_READ)
    pending = b""  # typed keys that may be the start of the detach sequence
    with conn, selector, _raw_terminal(stdin):
        if banner and os.isatty(stdin):
            os.write(sys.stderr.fileno(), banner.encode() + b"\r\n")
        while True:
            for key, _ in selector.select():
                if key.fileobj is conn:
                    data = conn.recv(65536)
                    if not data:
                        return False
                    os.write(stdout, data)
                    continue
                typed = os.read(stdin, 4096)
                if not typed:  # stdin closed: keep showing output, send nothing more
                    selector.unregister(stdin)
                    continue
                pending += typed
                if detach_keys and detach_keys in pending:
                    conn.sendall(pending[:pending.index(detach_keys)])
                    return True
                keep = _partial_suffix(pending, detach_keys)
                conn.sendall(pending[:len(pending) - keep])
                pending = pending[len(pending) - keep:]


def _partial_suffix(data: bytes, keys: bytes) -> int:
    """Length of the longest end of ``data`` that begins ``keys``."""
    for length in range(min(len(keys) - 1, len(data)), 0, -1):
        if keys.startswith(data[-length:]):
            return length
    return 0
