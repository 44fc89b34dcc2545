"""The same mechanisms on other verbs: ``exec --privileged``, detach keys on
``exec -it`` and ``start -ai``, and ``attach --sig-proxy``."""

from __future__ import annotations

import signal
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from .conftest import Hullbox, hullbox_command
from .terminal import terminal

pytestmark = pytest.mark.root

TICKING = 'trap "echo got-TERM; exit 3" TERM; while true; do echo tick; sleep 0.2; done'


def _cap(text: str, field: str) -> str:
    return next(line.split()[1] for line in text.splitlines() if line.startswith(field + ":"))


@pytest.fixture
def running(hullbox: Hullbox) -> Iterator[str]:
    name = f"rf3-exec-{uuid.uuid4().hex[:8]}"
    hullbox.ok("run", "-d", "--name", name, "busybox", "sleep", "600")
    yield name
    hullbox("rm", "-f", name)


def test_exec_privileged_gets_every_capability(hullbox: Hullbox, running: str) -> None:
    default = _cap(hullbox.ok("exec", running, "cat", "/proc/self/status"), "CapEff")
    privileged = hullbox.ok("exec", "--privileged", running, "cat", "/proc/self/status")
    with open("/proc/self/status") as status:  # what hullbox, run from here, may hand on
        host_bounding = _cap(status.read(), "CapBnd")
    assert _cap(privileged, "CapEff") == host_bounding
    assert default != host_bounding  # the container's own processes keep docker's set
    assert _cap(hullbox.ok("exec", running, "cat", "/proc/1/status"), "CapEff") == default


def _shells(hullbox: Hullbox, name: str) -> int:
    table = hullbox.ok("exec", name, "ps", "-o", "args")
    return sum(1 for line in table.splitlines() if line.strip() == "sh")


def test_exec_it_detaches_and_leaves_the_process_running(hullbox: Hullbox,
                                                          running: str) -> None:
    with terminal(hullbox, "exec", "-it", running, "sh") as user:
        assert b"# " in user.read_until(b"# ")
        user.type(b"echo $((6*7))\r")
        assert b"42" in user.read_until(b"42")
        user.type(b"\x10\x11")
        assert user.exit_code() == 0
    assert _shells(hullbox, running) == 1  # the exec'd shell goes on
    with terminal(hullbox, "exec", "-it", "--detach-keys", "", running, "sh") as user:
        assert b"# " in user.read_until(b"# ")
        user.type(b"\x10\x11exit 5\r")  # no detach keys: they reach the shell
        assert user.exit_code() == 5


def test_start_ai_detaches(hullbox: Hullbox) -> None:
    name = f"rf3-start-{uuid.uuid4().hex[:8]}"
    hullbox.ok("create", "-it", "--name", name, "busybox", "sh")
    try:
        with terminal(hullbox, "start", "-ai", "--detach-keys", "ctrl-x", name) as user:
            assert b"# " in user.read_until(b"# ")
            user.type(b"echo up-$((1+2))\r")
            assert b"up-3" in user.read_until(b"up-3")
            user.type(b"\x18")  # ctrl-x
            assert user.exit_code() == 0
        assert hullbox.ok("inspect", "-f", "{{.State.Running}}", name).strip() == "true"
    finally:
        hullbox("rm", "-f", name)


def _attach(hullbox: Hullbox, *args: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([*hullbox_command(), "attach", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=hullbox.env())
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"tick\n"  # attached
    return proc


def test_attach_sig_proxy(hullbox: Hullbox) -> None:
    name = f"rf3-attach-{uuid.uuid4().hex[:8]}"
    hullbox.ok("run", "-d", "--name", name, "busybox", "sh", "-c", TICKING)
    try:
        quiet = _attach(hullbox, "--sig-proxy=false", name)
        quiet.send_signal(signal.SIGINT)
        quiet.communicate(timeout=30)
        assert hullbox.ok("inspect", "-f", "{{.State.Running}}", name).strip() == "true"
        proxied = _attach(hullbox, name)
        proxied.send_signal(signal.SIGTERM)
        out, _err = proxied.communicate(timeout=30)
        assert out.endswith(b"got-TERM\n")  # the container's trap, seen through attach
        assert proxied.returncode == 3
    finally:
        hullbox("rm", "-f", name)
