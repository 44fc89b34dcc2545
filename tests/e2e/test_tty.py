"""`hullbox run -it`: a real interactive shell on a pty."""

from __future__ import annotations

import fcntl
import struct
import termios
import time

import pytest

from .conftest import Hullbox
from .terminal import terminal

pytestmark = pytest.mark.root


def test_interactive_shell_window_size_and_ctrl_c(hullbox: Hullbox) -> None:
    with terminal(hullbox, "run", "--rm", "-it", "busybox", "sh") as user:
        fcntl.ioctl(user.master, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
        assert b"# " in user.read_until(b"# ")  # the shell's prompt
        user.type(b"echo $((6*7))\r")
        assert b"42" in user.read_until(b"42")
        user.type(b"stty size\r")
        assert b"33 101" in user.read_until(b"33 101")
        user.type(b"sleep 30\r")
        time.sleep(0.5)
        user.type(b"\x03")  # Ctrl-C reaches sleep through the pty
        user.type(b"echo after-$((1+1))\r")
        assert b"after-2" in user.read_until(b"after-2", timeout=10)
        user.type(b"exit 5\r")
        assert user.exit_code() == 5
