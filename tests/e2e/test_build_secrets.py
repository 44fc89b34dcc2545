"""``hullbox build --secret``: a RUN reads the secret at /run/secrets/ID
(or in a variable); the image, its layers and its history never hold it."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import Hullbox
from .registry_helpers import fails
from .test_build import leftovers, remove_new_images, write

pytestmark = pytest.mark.root
__all__ = ["remove_new_images"]  # its autouse cleanup applies here too

SECRET = "s3cr3t-token-4c1d"

DOCKERFILE = """\
FROM busybox
RUN --mount=type=secret,id=token md5sum < /run/secrets/token > /sum && \\
    stat -c '%a %u' /run/secrets/token > /perm
RUN --mount=type=secret,id=token,target=/etc/tok,uid=33,mode=0440 stat -c '%a %u' /etc/tok > /perm2
RUN --mount=type=secret,id=token,env=TOKEN printf %s "$TOKEN" | md5sum > /sum-env
RUN --mount=type=secret,id=absent ls /run/secrets > /absent 2>&1 || echo none > /absent
"""


def test_a_secret_is_read_by_run_and_kept_out_of_the_image(hullbox: Hullbox,
                                                           tmp_path: Path) -> None:
    ctx = write(tmp_path / "ctx", {"Dockerfile": DOCKERFILE})
    secret = tmp_path / "token.txt"
    secret.write_text(SECRET)
    result = hullbox("build", "--secret", f"id=token,src={secret}", "-t", "secretive:1",
                     str(ctx))
    assert result.returncode == 0, result.stderr
    digest = hashlib.md5(SECRET.encode()).hexdigest()
    out = hullbox.ok("run", "--rm", "secretive:1", "cat", "/sum", "/perm", "/perm2",
                     "/sum-env", "/absent")
    assert out.split("\n") == [f"{digest}  -", "400 0", "440 33", f"{digest}  -", "none", ""]
    # Not in the filesystem: neither the file nor the directories made for it.
    listing = hullbox.ok("run", "--rm", "secretive:1", "ls", "/", "/etc").split()
    assert "run" not in listing and "tok" not in listing
    # Not in any layer, nor in the config or history.
    archive = tmp_path / "image.tar"
    hullbox.ok("save", "-o", str(archive), "secretive:1")
    assert SECRET.encode() not in archive.read_bytes()
    history = hullbox.ok("history", "--no-trunc", "secretive:1")
    assert SECRET not in history and "md5sum" in history
    assert SECRET not in json.dumps(json.loads(hullbox.ok("image", "inspect", "secretive:1")))
    assert SECRET not in result.stderr
    # A secret's value is not in the cache key (as BuildKit): a new value reuses the steps.
    secret.write_text("another value")
    again = hullbox("build", "--secret", f"id=token,src={secret}", str(ctx))
    assert again.stderr.count("CACHED") == 4, again.stderr
    assert leftovers(hullbox) == []


def test_secret_from_an_environment_variable(hullbox: Hullbox, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = write(tmp_path / "ctx", {
        "Dockerfile": "FROM busybox\nRUN --mount=type=secret,id=api,required=true "
                      "wc -c < /run/secrets/api > /size\n"})
    monkeypatch.setenv("HB_API_KEY", "12345")
    hullbox.ok("build", "--secret", "id=api,env=HB_API_KEY", "-t", "envsecret:1", str(ctx))
    assert hullbox.ok("run", "--rm", "envsecret:1", "cat", "/size").strip() == "5"


def test_bad_secrets_fail_in_one_line(hullbox: Hullbox, tmp_path: Path) -> None:
    ctx = write(tmp_path / "ctx", {
        "Dockerfile": "FROM busybox\nRUN echo before > /before\n"
                      "RUN --mount=type=secret,id=key,required cat /run/secrets/key\n"})
    missing = tmp_path / "nope.txt"
    assert fails(hullbox, "build", "-q", "--secret", f"id=key,src={missing}", str(ctx)) == (
        f"hullbox: --secret id=key,src={missing}: cannot read {missing}: "
        "No such file or directory")
    assert fails(hullbox, "build", "-q", "--secret", "id=key,path=/x", str(ctx)) == (
        "hullbox: invalid --secret 'id=key,path=/x': unexpected 'path=/x'; use id=NAME and "
        "src=FILE or env=VARIABLE")
    # Found missing before any step runs: the RUN before it leaves no layer.
    assert fails(hullbox, "build", "-q", str(ctx)) == (
        "hullbox: Dockerfile:3: secret key not found: give it with --secret id=key,src=FILE")
    assert leftovers(hullbox) == []


def test_ssh_agent_socket_is_forwarded_to_run(hullbox: Hullbox, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("ssh-agent") is None:
        pytest.skip("ssh-agent is not installed (apt-get install openssh-client)")
    socket = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(socket)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not socket.exists() and agent.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(socket))
        ctx = write(tmp_path / "ctx", {
            "Dockerfile": "FROM busybox\nRUN --mount=type=ssh,required test -S "
                          "\"$SSH_AUTH_SOCK\" && echo \"$SSH_AUTH_SOCK\" > /agent-was\n"})
        hullbox.ok("build", "--ssh", "default", "-t", "ssh:1", str(ctx))
        assert hullbox.ok("run", "--rm", "ssh:1", "sh", "-c",
                          "cat /agent-was; test -e /run || echo no /run") == (
            "/run/buildkit/ssh_agent.0\nno /run\n")  # used while it ran, gone from the image
        assert fails(hullbox, "build", "-q", "--no-cache", str(ctx)) == (
            "hullbox: Dockerfile:2: no ssh agent 'default' was forwarded: give it with "
            "--ssh default[=SOCKET]")
        assert fails(hullbox, "build", "-q", "--ssh", f"default={ctx / 'Dockerfile'}",
                     str(ctx)) == (
            f"hullbox: --ssh default={ctx / 'Dockerfile'}: {ctx / 'Dockerfile'} is not an "
            "agent socket; load the key into ssh-agent and give its socket")
    finally:
        agent.terminate()
        agent.wait(10)


def test_mount_points_go_but_the_workdir_stays(hullbox: Hullbox, tmp_path: Path) -> None:
    ctx = write(tmp_path / "ctx", {
        "Dockerfile": "FROM busybox\nWORKDIR /work/dir\n"
                      "RUN --mount=type=cache,target=/work/dir/cache "
                      "--mount=type=tmpfs,target=/scratch/deep true\n"})
    hullbox.ok("build", "-t", "workdir:1", str(ctx))
    assert hullbox.ok("run", "--rm", "workdir:1", "sh", "-c",
                      "pwd; ls -A /work/dir; test -e /scratch || echo no /scratch") == (
        "/work/dir\nno /scratch\n")
