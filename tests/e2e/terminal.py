"""A user's terminal for e2e tests: a hullbox command run on a real pty."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import time
from collections.abc import Iterator

from .conftest import Hullbox, hullbox_command


def read_until(fd: int, needle: bytes, timeout: float = 15) -> bytes:
    """What the terminal shows until ``needle`` appears, it closes, or time is up."""
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


class Terminal:
    """The pty master of a running ``hullbox`` command, and its process."""

    def __init__(self, pid: int, master: int) -> None:
        self.pid = pid
        self.master = master

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def read_until(self, needle: bytes, timeout: float = 15) -> bytes:
        return read_until(self.master, needle, timeout)

    def exit_code(self) -> int:
        """Drain the screen until the command closes the pty, then its exit code."""
        read_until(self.master, b"\x00", timeout=5)
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)


@contextlib.contextmanager
def terminal(hullbox: Hullbox, *args: str) -> Iterator[Terminal]:
    """``hullbox ARGS`` in a new terminal session; killed if still running at the end."""
    pid, master = pty.fork()
    if pid == 0:  # the user's terminal session
        os.environ.update(hullbox.env())
        argv = [*hullbox_command(), *args]
        os.execvp(argv[0], argv)
    try:
        yield Terminal(pid, master)
    finally:
        os.close(master)
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, 9)
            os.waitpid(pid, 0)
