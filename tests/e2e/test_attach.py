"""`hullbox attach` to detached containers: live output, stdin of -i
containers, the exit code, and the detach keys (ctrl-p ctrl-q)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest

from .conftest import Hullbox, hullbox_command
from .terminal import terminal

pytestmark = pytest.mark.root


@pytest.fixture
def clean(hullbox: Hullbox) -> Iterator[Hullbox]:
    yield hullbox
    for name in ("echoer", "ender", "shell", "done"):
        hullbox("rm", "-f", name)


def test_attach_sends_stdin_and_detaches_with_the_keys(clean: Hullbox) -> None:
    hullbox = clean
    hullbox.ok("run", "-d", "-i", "--name", "echoer", "busybox", "sh", "-c",
               "echo ready; while read line; do echo \"got $line\"; done")
    time.sleep(0.5)
    client = subprocess.Popen([*hullbox_command(), "attach", "echoer"], env=hullbox.env(),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    assert client.stdin is not None and client.stdout is not None
    time.sleep(0.5)
    client.stdin.write(b"hello\n")
    client.stdin.flush()
    assert client.stdout.readline() == b"got hello\n"  # live, and not the earlier "ready"
    client.stdin.write(b"\x10\x11")  # ctrl-p ctrl-q
    client.stdin.flush()
    out, err = client.communicate(timeout=10)
    assert client.returncode == 1 and err == b"read escape sequence\n"
    assert hullbox.ok("inspect", "-f", "{{.State.Status}}", "echoer") == "running\n"
    assert "got hello" in hullbox.ok("logs", "echoer")


def test_attach_follows_to_the_exit_code(clean: Hullbox) -> None:
    hullbox = clean
    hullbox.ok("run", "-d", "--name", "ender", "busybox", "sh", "-c",
               "sleep 1.5; echo bye; echo oops >&2; exit 3")
    result = hullbox("attach", "ender", timeout=30)
    assert (result.returncode, result.stdout, result.stderr) == (3, "bye\n", "oops\n")
    hullbox.ok("create", "--name", "done", "busybox", "true")
    stopped = hullbox("attach", "done")
    assert stopped.returncode == 125 and "not running" in stopped.stderr
    assert len(stopped.stderr.splitlines()) == 1


def test_attach_it_to_a_shell_on_a_real_pty(clean: Hullbox) -> None:
    hullbox = clean
    hullbox.ok("run", "-dit", "--name", "shell", "busybox", "sh")
    with terminal(hullbox, "attach", "shell") as user:
        time.sleep(1.0)
        user.type(b"echo $((6*7)); tty\r")
        seen = user.read_until(b"/dev/pts/")
        assert b"42" in seen and b"/dev/pts/" in seen
        user.type(b"\x10\x11")  # the detach keys: the client leaves, the shell stays
        assert user.exit_code() == 1
    assert hullbox.ok("inspect", "-f", "{{.State.Status}}", "shell") == "running\n"
    # the shell still reads its terminal: another client can end it
    result = hullbox("attach", "shell", input=b"exit 6\r", timeout=30)
    assert result.returncode == 6
