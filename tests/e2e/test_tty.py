"""`hullbox run -it`: a real interactive shell on a pty."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import termios
import time

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root


def _read_until(fd: int, needle: bytes, timeout: float = 15) -> bytes:
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


def test_interactive_shell_window_size_and_ctrl_c(hullbox: Hullbox) -> None:
    pid, master = pty.fork()
    if pid == 0:  # the user's terminal session
        os.environ.update(hullbox.env())
        argv = [*hullbox_command(), "run", "--rm", "-it", "busybox", "sh"]
        os.execvp(argv[0], argv)
    try:
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
        assert b"# " in _read_until(master, b"# ")  # the shell's prompt
        os.write(master, b"echo $((6*7))\r")
        assert b"42" in _read_until(master, b"42")
        os.write(master, b"stty size\r")
        assert b"33 101" in _read_until(master, b"33 101")
        os.write(master, b"sleep 30\r")
        time.sleep(0.5)
        os.write(master, b"\x03")  # Ctrl-C reaches sleep through the pty
        os.write(master, b"echo after-$((1+1))\r")
        assert b"after-2" in _read_until(master, b"after-2", timeout=10)
        os.write(master, b"exit 5\r")
        _read_until(master, b"\x00", timeout=5)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 5
    finally:
        os.close(master)
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
