"""``compose build``, ``up --build``, ``push``, ``pull``, ``top``, ``pause``
and ``unpause`` as a user types them, on busybox projects built here and a
real docker-registry on 127.0.0.1."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command
from .registry_helpers import Registry, running_registry

pytestmark = pytest.mark.root

DOCKERFILE = """FROM busybox AS base
ARG GREETING=unset
RUN echo "$GREETING" > /greeting
FROM base AS prod
RUN echo prod > /stage
FROM base AS dev
RUN echo dev > /stage
"""

BUILT = """
services:
  app:
    build:
      context: ./app
      args:
        GREETING: ${{GREETING:-hello}}
      target: dev
    command: sh -c 'cat /greeting /stage'
  pushed:
    image: {registry}/tbuild/pushed:1
    build:
      context: .
      dockerfile_inline: |
        FROM busybox
        RUN echo inline > /made
    command: cat /made
"""


def _compose(hullbox: Hullbox, directory: Path, *args: str,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*hullbox_command(), "compose", "-p", "tbuild", *args],
                          cwd=directory, capture_output=True, text=True,
                          env={**hullbox.env(), **(env or {})}, timeout=180, check=False)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


@pytest.fixture
def built(hullbox: Hullbox, tmp_path: Path, registry: Registry) -> Iterator[Path]:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "compose.yaml").write_text(BUILT.format(registry=registry.host))
    yield tmp_path
    _compose(hullbox, tmp_path, "down", "-t", "0")
    for image in ("tbuild-app", f"{registry.host}/tbuild/pushed:1"):
        hullbox("rmi", "-f", image)


def test_build_then_up_runs_the_built_target_with_its_args(hullbox: Hullbox,
                                                           built: Path) -> None:
    result = _compose(hullbox, built, "build")
    assert result.returncode == 0, result.stderr
    assert "Building app" in result.stderr and "Building pushed" in result.stderr
    up = _compose(hullbox, built, "up")  # in the foreground: the output, then the exit
    assert up.returncode == 0, up.stderr
    assert "app-1     | hello\napp-1     | dev\n" in up.stdout  # padded names
    assert "pushed-1  | inline\n" in up.stdout


def test_up_build_rebuilds_with_changed_args_and_recreates(hullbox: Hullbox,
                                                           built: Path) -> None:
    assert _compose(hullbox, built, "up", "-d").returncode == 0  # builds what is missing
    up = _compose(hullbox, built, "up", "-d", "--build", "app", env={"GREETING": "again"})
    assert up.returncode == 0, up.stderr
    assert "Building app" in up.stderr
    assert " Container tbuild-app-1  Recreate" in up.stderr
    hullbox.ok("wait", "tbuild-app-1")
    assert _compose(hullbox, built, "logs", "--no-log-prefix", "app").stdout == "again\ndev\n"


def test_push_then_pull_through_a_registry(hullbox: Hullbox, built: Path,
                                           registry: Registry) -> None:
    assert _compose(hullbox, built, "build", "pushed").returncode == 0
    push = _compose(hullbox, built, "push")  # only services with build: and image:
    assert push.returncode == 0, push.stderr
    assert f"Pushing pushed ({registry.host}/tbuild/pushed:1)" in push.stderr
    assert "Pushing app" not in push.stderr
    hullbox.ok("rmi", f"{registry.host}/tbuild/pushed:1")
    pull = _compose(hullbox, built, "pull", "pushed")
    assert pull.returncode == 0, pull.stderr
    assert hullbox.ok("run", "--rm", f"{registry.host}/tbuild/pushed:1",
                      "cat", "/made") == "inline\n"


def test_top_pause_unpause(hullbox: Hullbox, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  a: {image: busybox, command: sleep 301, init: true}\n"
        "  b: {image: busybox, command: sleep 302, init: true}\n")
    try:
        assert _compose(hullbox, tmp_path, "up", "-d").returncode == 0
        top = _compose(hullbox, tmp_path, "top").stdout.splitlines()
        assert top[0] == "tbuild-a-1" and top[1].split()[:3] == ["UID", "PID", "PPID"]
        assert any(line.endswith("sleep 301") for line in top)
        assert "tbuild-b-1" in top and any(line.endswith("sleep 302") for line in top)
        pause = _compose(hullbox, tmp_path, "pause", "b")
        assert pause.returncode == 0 and " Container tbuild-b-1  Paused" in pause.stderr
        states = _compose(hullbox, tmp_path, "ps", "--format", "{{.Name}} {{.State}}").stdout
        assert states.splitlines() == ["tbuild-a-1 running", "tbuild-b-1 paused"]
        exec_paused = _compose(hullbox, tmp_path, "exec", "b", "true")
        assert exec_paused.returncode == 125
        assert exec_paused.stderr == ("hullbox: container tbuild-b-1 is paused; unpause it "
                                      "first (hullbox unpause tbuild-b-1)\n")
        assert _compose(hullbox, tmp_path, "unpause").returncode == 0
        assert _compose(hullbox, tmp_path, "exec", "b", "true").returncode == 0
    finally:
        _compose(hullbox, tmp_path, "down", "-t", "0")


def test_port_of_an_unpublished_port_is_one_line(hullbox: Hullbox, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  a: {image: busybox, command: sleep 300, init: true}\n")
    try:
        assert _compose(hullbox, tmp_path, "up", "-d").returncode == 0
        port = _compose(hullbox, tmp_path, "port", "a", "80")
        assert (port.returncode, port.stderr) == (
            125, "hullbox: no port 80/tcp for container tbuild-a-1: it is not published "
                 "(ports: in the compose file)\n")
    finally:
        _compose(hullbox, tmp_path, "down", "-t", "0")


def test_file_secrets_and_configs_are_readable_and_read_only(hullbox: Hullbox,
                                                            tmp_path: Path) -> None:
    (tmp_path / "token.txt").write_text("s3cret\n")
    (tmp_path / "app.conf").write_text("x=1\n")
    (tmp_path / "compose.yaml").write_text(
        "services:\n  a:\n    image: busybox\n    command: sleep 300\n    init: true\n"
        "    secrets: [token]\n    configs: [{source: conf, target: /etc/app.conf}]\n"
        "secrets:\n  token: {file: ./token.txt}\nconfigs:\n  conf: {file: ./app.conf}\n")
    try:
        assert _compose(hullbox, tmp_path, "up", "-d").returncode == 0
        read = _compose(hullbox, tmp_path, "exec", "a", "cat", "/run/secrets/token",
                        "/etc/app.conf")
        assert read.stdout == "s3cret\nx=1\n"
        write = _compose(hullbox, tmp_path, "exec", "a", "sh", "-c",
                         "echo x > /run/secrets/token")
        assert write.returncode != 0 and "Read-only file system" in write.stderr
        assert (tmp_path / "token.txt").read_text() == "s3cret\n"
    finally:
        _compose(hullbox, tmp_path, "down", "-t", "0")
