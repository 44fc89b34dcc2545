"""podman's run/create extras as its users type them: --pidfile (the host
pid of the container's process), --preserve-fds (descriptors of the command
passed into the container) and --authfile (registry credentials from a file
of the user's choosing, for run's implicit pull and for pull, push, login,
logout)."""

from __future__ import annotations

import base64
import json
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command
from .registry_helpers import Registry, fails, running_registry

pytestmark = pytest.mark.root


def _pid_of(hullbox: Hullbox, container: str) -> int:
    return int(hullbox.ok("inspect", "-f", "{{.State.Pid}}", container))


def test_pidfile_holds_the_pid_inspect_shows_at_every_start(hullbox: Hullbox,
                                                           tmp_path: Path) -> None:
    pidfile = tmp_path / "web.pid"
    name = "tpx-pidfile"
    hullbox.ok("run", "-d", "--name", name, "--network", "none", "--pidfile", str(pidfile),
               "busybox", "sleep", "300")
    try:
        pid = int(pidfile.read_text())
        assert pid == _pid_of(hullbox, name) and pid > 0
        assert Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0] == b"sleep"
        hullbox.ok("restart", "-t", "0", name)
        again = int(pidfile.read_text())
        assert again == _pid_of(hullbox, name) and again != pid
    finally:
        hullbox.ok("rm", "-f", name)


def test_pidfile_relative_path_and_foreground_run(hullbox: Hullbox, tmp_path: Path) -> None:
    name = "tpx-foreground"
    pidfile = tmp_path / "fg.pid"
    running = subprocess.Popen([*hullbox_command(), "run", "--rm", "--name", name, "--network",
                                "none", "--pidfile", "fg.pid", "busybox", "sleep", "300"],
                               cwd=tmp_path, env=hullbox.env(), stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not pidfile.exists() and running.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert int(pidfile.read_text()) == _pid_of(hullbox, name)
    finally:
        hullbox("rm", "-f", name)
        running.wait(60)


def test_pidfile_in_a_missing_directory_is_refused(hullbox: Hullbox, tmp_path: Path) -> None:
    before = hullbox.ok("ps", "-aq")
    result = hullbox("run", "--pidfile", str(tmp_path / "nowhere" / "x.pid"), "busybox", "true")
    assert result.returncode == 125
    assert result.stderr.count("\n") == 1 and "--pidfile" in result.stderr
    assert hullbox.ok("ps", "-aq") == before


def _shell(hullbox: Hullbox, line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``line`` as a user types it in sh, ``hullbox`` being this tree's."""
    command = f"hullbox() {{ {shlex.join(hullbox_command())} \"$@\"; }}; {line}"
    return subprocess.run(["sh", "-c", command], cwd=cwd, env=hullbox.env(), text=True,
                          capture_output=True, timeout=120, check=False)


def test_preserve_fds_passes_the_commands_descriptors(hullbox: Hullbox,
                                                      tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("from the host\n")
    (tmp_path / "other").write_text("second\n")
    passed = _shell(hullbox, "hullbox run --rm --network none --preserve-fds 2 busybox "
                    "sh -c 'cat <&3; cat <&4' 3<secret 4<other", tmp_path)
    assert passed.returncode == 0, passed.stderr
    assert passed.stdout == "from the host\nsecond\n"
    # without the flag the container gets none of them, as with docker and podman
    kept = _shell(hullbox, "hullbox run --rm --network none busybox sh -c 'cat <&3' 3<secret",
                  tmp_path)
    assert kept.returncode != 0 and "from the host" not in kept.stdout


def test_preserve_fds_refused_where_it_cannot_work(hullbox: Hullbox, tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("x\n")
    before = hullbox.ok("ps", "-aq")
    for line in ("hullbox run -d --preserve-fds 1 busybox true 3<secret",
                 "hullbox create --preserve-fds 1 busybox true 3<secret",
                 "hullbox run --rm --preserve-fds 2 busybox true 3<secret"):
        result = _shell(hullbox, line, tmp_path)
        assert result.returncode == 125, (line, result)
        assert result.stderr.count("\n") == 1 and "--preserve-fds" in result.stderr, line
    assert hullbox.ok("ps", "-aq") == before


@pytest.fixture(scope="module")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A registry that wants bob/builder (htpasswd, bcrypt)."""
    if shutil.which("htpasswd") is None:
        pytest.skip("htpasswd is not installed (apt-get install apache2-utils)")
    tmp = tmp_path_factory.mktemp("authfile-registry")
    users = tmp / "htpasswd"
    users.write_bytes(subprocess.run(["htpasswd", "-Bbn", "bob", "builder"],
                                     check=True, capture_output=True).stdout)
    with running_registry(tmp, f"auth: {{htpasswd: {{realm: hullbox, path: {users}}}}}\n") \
            as running:
        yield running


def test_authfile_for_run_pull_push_login_logout(
        hullbox: Hullbox, auth_registry: Registry, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # no credentials anywhere else: an empty docker config directory
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "empty-docker"))
    monkeypatch.delenv("REGISTRY_AUTH_FILE", raising=False)
    host = auth_registry.host
    ref = f"{host}/private/authfile:1"
    authfile = tmp_path / "auth.json"
    token = base64.b64encode(b"bob:builder").decode()
    authfile.write_text(json.dumps({"auths": {host: {"auth": token}}}))
    hullbox.ok("tag", "busybox:latest", ref)
    try:
        assert "requires authentication" in fails(hullbox, "push", ref)
        hullbox.ok("push", "--authfile", str(authfile), ref)
        hullbox.ok("rmi", ref)
        refused = hullbox("run", "--rm", ref, "echo", "pulled")
        assert refused.returncode == 125 and "requires authentication" in refused.stderr
        ran = hullbox("run", "--rm", "--authfile", str(authfile), ref, "echo", "pulled")
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout == "pulled\n"
        hullbox.ok("rmi", ref)
        assert hullbox.ok("pull", "--authfile", str(authfile), ref).strip().endswith(ref)

        written = tmp_path / "login.json"
        assert hullbox.ok("login", "--authfile", str(written), host, "-u", "bob",
                          "--password-stdin", input=b"builder\n") == "Login Succeeded\n"
        assert host in json.loads(written.read_text())["auths"]
        assert not (tmp_path / "empty-docker" / "config.json").exists()
        hullbox.ok("pull", "--authfile", str(written), ref)
        assert hullbox.ok("logout", "--authfile", str(written), host) == \
            f"Removing login credentials for {host}\n"
        assert host not in json.loads(written.read_text())["auths"]
        missing = fails(hullbox, "pull", "--authfile", str(tmp_path / "none.json"), ref)
        assert "--authfile" in missing and "none.json" in missing
    finally:
        hullbox("rmi", ref)
