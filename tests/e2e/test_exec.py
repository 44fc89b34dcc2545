"""`hullbox exec` as a user types it: the process joins the container's
namespaces and cgroup; exit codes, -e -w -u -i -d and -it on a real pty."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox
from .terminal import terminal

pytestmark = pytest.mark.root

SLEEPER = ["sh", "-c", "echo started; exec sleep 1000"]


@pytest.fixture
def web(hullbox: Hullbox) -> Iterator[str]:
    """A running detached container named web; its full id."""
    container_id = hullbox.ok("run", "-d", "--name", "web", "-e", "FROM_RUN=yes", "busybox",
                              *SLEEPER).strip()
    yield container_id
    hullbox("rm", "-f", "web")


def test_exec_joins_namespaces_and_cgroup(hullbox: Hullbox, web: str) -> None:
    assert hullbox.ok("exec", "web", "hostname") == web[:12] + "\n"
    assert hullbox.ok("exec", "web", "cat", "/proc/1/cmdline").startswith("sleep\0" "1000")
    same = hullbox.ok("exec", "web", "sh", "-c",
                      "cmp /proc/self/cgroup /proc/1/cgroup && echo same-cgroup; "
                      "for n in cgroup ipc mnt net pid uts; do "
                      "[ $(readlink /proc/self/ns/$n) = $(readlink /proc/1/ns/$n) ] && echo $n; "
                      "done")
    assert same.split() == ["same-cgroup", "cgroup", "ipc", "mnt", "net", "pid", "uts"]
    # and from the host: the exec'd process is in the container's cgroup
    hullbox.ok("exec", "-d", "web", "sleep", "77")
    procs = next(Path("/sys/fs/cgroup").glob(f"*/hullbox/{web}/cgroup.procs"), None) or \
        Path(f"/sys/fs/cgroup/hullbox/{web}/cgroup.procs")
    commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in procs.read_text().split()]
    assert b"sleep\x0077\x00" in commands
    listing = hullbox.ok("exec", "web", "ps")
    assert "sleep 1000" in listing and "ps" in listing
    assert len(listing.strip().splitlines()) == 4  # header, PID 1, sleep 77, ps: no host


def test_exec_exit_codes(hullbox: Hullbox, web: str) -> None:
    assert hullbox("exec", "web", "sh", "-c", "exit 3").returncode == 3
    missing = hullbox("exec", "web", "nosuch")
    assert missing.returncode == 127
    assert missing.stderr.strip() == \
        'hullbox: exec "nosuch": executable file not found in $PATH'
    assert hullbox("exec", "web", "/etc/passwd").returncode == 126
    nowhere = hullbox("exec", "-w", "/nowhere", "web", "true")
    assert nowhere.returncode == 126 and "/nowhere" in nowhere.stderr
    unknown = hullbox("exec", "nosuchcontainer", "true")
    assert unknown.returncode == 125
    assert unknown.stderr.strip() == "hullbox: no such container: nosuchcontainer"


def test_exec_into_a_stopped_container(hullbox: Hullbox) -> None:
    hullbox.ok("create", "--name", "idle", "busybox", "true")
    try:
        result = hullbox("exec", "idle", "true")
        assert result.returncode == 125
        assert len(result.stderr.strip().splitlines()) == 1
        assert "is not running" in result.stderr
    finally:
        hullbox("rm", "-f", "idle")


def test_exec_env_workdir_user(hullbox: Hullbox, web: str, tmp_path: Path) -> None:
    out = hullbox.ok("exec", "-e", "X=1", "-w", "/tmp", "-u", "1000", "web",
                     "sh", "-c", "echo $X $FROM_RUN; pwd; id -u")
    assert out.split() == ["1", "yes", "/tmp", "1000"]
    assert hullbox.ok("exec", "-u", "www-data", "web", "id").startswith(
        "uid=33(www-data) gid=33(www-data)")
    env_file = tmp_path / "env"
    env_file.write_text("# comment\nA=from-file\nFROM_RUN=overridden\n")
    out = hullbox.ok("exec", "--env-file", str(env_file), "web", "sh", "-c",
                     "echo $A $FROM_RUN")
    assert out == "from-file overridden\n"
    bad = hullbox("exec", "-u", "nosuchuser", "web", "true")
    assert bad.returncode == 125 and "nosuchuser" in bad.stderr


def test_exec_stdin_and_detach(hullbox: Hullbox, web: str) -> None:
    assert hullbox.ok("exec", "-i", "web", "cat", input=b"through stdin\n") == \
        "through stdin\n"
    assert hullbox.ok("exec", "web", "cat", input=b"ignored\n") == ""  # no -i: no stdin
    started = time.monotonic()
    assert hullbox.ok("exec", "-d", "web", "sh", "-c",
                      "sleep 1; echo later > /tmp/detached") == ""
    assert time.monotonic() - started < 10
    deadline = time.monotonic() + 10
    while hullbox("exec", "web", "cat", "/tmp/detached").stdout != "later\n":
        assert time.monotonic() < deadline, "the detached exec never ran"
        time.sleep(0.2)


def test_exec_it_on_a_real_pty(hullbox: Hullbox, web: str) -> None:
    with terminal(hullbox, "exec", "-it", "web", "sh") as user:
        assert b"# " in user.read_until(b"# ")
        user.type(b"tty; echo $TERM; hostname\r")
        seen = user.read_until(web[:12].encode())
        assert b"/dev/pts/" in seen and b"xterm" in seen
        user.type(b"sleep 30\r")
        time.sleep(0.5)
        user.type(b"\x03")  # Ctrl-C reaches sleep through the exec's own pty
        user.type(b"echo after-$((1+1))\r")
        assert b"after-2" in user.read_until(b"after-2", timeout=10)
        user.type(b"exit 4\r")
        assert user.exit_code() == 4
    # the container goes on running after the exec's shell is gone
    assert hullbox.ok("inspect", "-f", "{{.State.Status}}", "web") == "running\n"
