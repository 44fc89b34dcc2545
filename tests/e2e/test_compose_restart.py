"""``depends_on: {db: {restart: true}}`` as a user types it: restarting or
recreating the dependency restarts the dependent, as docker compose does."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root

PROJECT = """
services:
  db:
    image: busybox
    command: sh -c 'echo db $$VERSION; exec sleep 300'
    environment: {VERSION: "${VERSION:-1}"}
    stop_signal: SIGKILL
  app:
    image: busybox
    command: sleep 300
    stop_signal: SIGKILL
    depends_on:
      db: {condition: service_started, restart: true}
  other:
    image: busybox
    command: sleep 300
    stop_signal: SIGKILL
    depends_on: [db]
"""


def _compose(hullbox: Hullbox, directory: Path, *args: str,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*hullbox_command(), "compose", "-p", directory.name, *args],
                          cwd=directory, capture_output=True, text=True, timeout=120,
                          env={**hullbox.env(), **(env or {})}, check=False)


def _started(hullbox: Hullbox, project: str) -> dict[str, tuple[str, str]]:
    """service -> (container id, when it last started)."""
    out = {}
    for service in ("db", "app", "other"):
        state = json.loads(hullbox.ok("inspect", f"{project}-{service}-1"))[0]
        assert state["State"]["Running"], service
        out[service] = (state["Id"], state["State"]["StartedAt"])
    return out


@pytest.fixture
def project(hullbox: Hullbox, tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "trestartdeps"
    directory.mkdir()
    (directory / "compose.yaml").write_text(PROJECT)
    yield directory
    _compose(hullbox, directory, "down", "-t", "0")


def test_restart_of_a_dependency_restarts_the_dependent_that_asks_for_it(
        hullbox: Hullbox, project: Path) -> None:
    up = _compose(hullbox, project, "up", "-d")
    assert up.returncode == 0, up.stderr
    before = _started(hullbox, project.name)
    restart = _compose(hullbox, project, "restart", "db")
    assert restart.returncode == 0, restart.stderr
    after = _started(hullbox, project.name)
    assert after["db"][1] != before["db"][1]
    assert after["app"][1] != before["app"][1]  # restart: true
    assert after["other"] == before["other"]  # a plain dependency is left alone
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}

    no_deps = _compose(hullbox, project, "restart", "--no-deps", "db")
    assert no_deps.returncode == 0, no_deps.stderr
    last = _started(hullbox, project.name)
    assert last["db"][1] != after["db"][1]
    assert last["app"] == after["app"]


def test_up_that_recreates_a_dependency_restarts_the_dependent(
        hullbox: Hullbox, project: Path) -> None:
    assert _compose(hullbox, project, "up", "-d").returncode == 0
    before = _started(hullbox, project.name)
    up = _compose(hullbox, project, "up", "-d", env={"VERSION": "2"})
    assert up.returncode == 0, up.stderr
    after = _started(hullbox, project.name)
    assert after["db"][0] != before["db"][0]  # recreated: its environment changed
    assert after["app"][0] == before["app"][0]  # same container ...
    assert after["app"][1] != before["app"][1]  # ... started again
    assert f"Container {project.name}-app-1  Restarted" in up.stderr
    assert after["other"] == before["other"]
    logs = _compose(hullbox, project, "logs", "db").stdout
    assert logs == "db-1  | db 2\n"
