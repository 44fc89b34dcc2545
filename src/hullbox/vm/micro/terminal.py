"""The caller's side of ``-t`` in a microVM: its terminal in raw mode (the
guest's console does the line discipline, as a pty's slave would), and its
size, now and on every SIGWINCH, sent to the guest's signal relay."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import threading
from collections.abc import Iterator

from hullbox.linux.tty import get_winsize, make_raw, restore_mode


def window_size(fds: tuple[int | None, ...]) -> tuple[int, int]:
    """(rows, cols) of the first of ``fds`` that is a terminal; (0, 0) if none is."""
    for fd in fds:
        if fd is not None and os.isatty(fd):
            with contextlib.suppress(OSError):
                rows, cols = struct.unpack("HH", get_winsize(fd)[:4])
                return rows, cols
    return 0, 0


@contextlib.contextmanager
def terminal_session(stdin: int | None, stdout: int, sig_port: socket.socket) -> Iterator[None]:
    """Raw mode on the caller's terminal and resizes passed on, both undone on exit."""
    saved = make_raw(stdin) if stdin is not None and os.isatty(stdin) else None

    def on_winch(_signum: int, _frame: object) -> None:
        rows, cols = window_size((stdin, stdout))
        if rows and cols:
            with contextlib.suppress(OSError):
                sig_port.sendall(f"WINCH {rows} {cols}\n".encode())

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGWINCH, on_winch)
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGWINCH, previous)
        if saved is not None and stdin is not None:
            restore_mode(stdin, saved)
