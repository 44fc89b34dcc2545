"""``hullbox compose`` as a user types it, on busybox projects written here."""

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
    command: sh -c 'echo db ready; exec sleep 300'
    stop_signal: SIGKILL
  migrate:
    image: busybox
    command: sh -c 'echo migrated'
  web:
    image: busybox
    command: sh -c 'echo "web says $$GREETING"; exec sleep 300'
    environment:
      GREETING: ${GREETING:-hello}
    labels:
      tier: front
    stop_grace_period: 1s
    depends_on:
      db: {condition: service_started}
      migrate: {condition: service_completed_successfully}
"""


@pytest.fixture
def project(hullbox: Hullbox, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[
        tuple[Hullbox, Path, str]]:
    name = "t" + request.node.name.replace("_", "").lower()[-20:]
    (tmp_path / "compose.yaml").write_text(PROJECT)
    yield hullbox, tmp_path, name
    hullbox("compose", "-f", str(tmp_path / "compose.yaml"), "-p", name, "down", "-t", "0")


def _compose(hullbox: Hullbox, directory: Path, name: str, *args: str,
             env: dict[str, str] | None = None) -> tuple[int, str, str]:
    environment = {**hullbox.env(), **(env or {})}
    result = subprocess.run(
        [*hullbox_command(), "compose", "-p", name, *args], cwd=directory,
        capture_output=True, text=True, env=environment, timeout=120, check=False)
    return result.returncode, result.stdout, result.stderr


def _states(hullbox: Hullbox, name: str) -> dict[str, tuple[str, str]]:
    """container name -> (state, id) of the project's containers."""
    out = hullbox.ok("ps", "-a", "--no-trunc", "--filter",
                     f"label=com.docker.compose.project={name}", "--format",
                     "{{.Names}} {{.State}} {{.ID}}")
    return {n: (s, i) for n, s, i in (line.split() for line in out.splitlines())}


def test_up_starts_services_in_dependency_order_with_compose_labels(
        project: tuple[Hullbox, Path, str]) -> None:
    hullbox, directory, name = project
    code, _out, err = _compose(hullbox, directory, name, "up", "-d")
    assert code == 0, err
    states = _states(hullbox, name)
    assert {k: v[0] for k, v in states.items()} == {
        f"{name}-db-1": "running", f"{name}-migrate-1": "exited", f"{name}-web-1": "running"}
    labels = json.loads(hullbox.ok("inspect", f"{name}-web-1"))[0]["Config"]["Labels"]
    assert labels["com.docker.compose.project"] == name
    assert labels["com.docker.compose.service"] == "web"
    assert labels["com.docker.compose.container-number"] == "1"
    assert len(labels["com.docker.compose.config-hash"]) == 64
    assert labels["tier"] == "front"
    code, out, _ = _compose(hullbox, directory, name, "logs", "web")
    assert out == "web-1  | web says hello\n"
    code, out, _ = _compose(hullbox, directory, name, "ps", "--format", "{{.Service}}")
    assert out.split() == ["db", "web"]


def test_up_recreates_only_the_changed_service(project: tuple[Hullbox, Path, str]) -> None:
    hullbox, directory, name = project
    assert _compose(hullbox, directory, name, "up", "-d")[0] == 0
    before = _states(hullbox, name)
    code, _, err = _compose(hullbox, directory, name, "up", "-d", env={"GREETING": "bonjour"})
    assert code == 0, err
    after = _states(hullbox, name)
    assert after[f"{name}-db-1"] == before[f"{name}-db-1"]
    assert after[f"{name}-web-1"][1] != before[f"{name}-web-1"][1]
    assert after[f"{name}-web-1"][0] == "running"
    _, out, _ = _compose(hullbox, directory, name, "logs", "web")
    assert out == "web-1  | web says bonjour\n"


def test_scale_up_and_down(project: tuple[Hullbox, Path, str]) -> None:
    hullbox, directory, name = project
    code, _, err = _compose(hullbox, directory, name, "up", "-d", "--scale", "db=3", "db")
    assert code == 0, err
    assert sorted(_states(hullbox, name)) == [f"{name}-db-{n}" for n in (1, 2, 3)]
    number = json.loads(hullbox.ok("inspect", f"{name}-db-3"))[0]["Config"]["Labels"][
        "com.docker.compose.container-number"]
    assert number == "3"
    assert _compose(hullbox, directory, name, "up", "-d", "db")[0] == 0
    assert sorted(_states(hullbox, name)) == [f"{name}-db-1"]


def test_run_rm_gives_output_and_exit_code(project: tuple[Hullbox, Path, str]) -> None:
    hullbox, directory, name = project
    code, out, err = _compose(hullbox, directory, name, "run", "--rm", "web",
                              "sh", "-c", "echo one-off $GREETING; exit 3")
    assert code == 3, err
    assert out == "one-off hello\n"
    states = _states(hullbox, name)
    assert sorted(states) == [f"{name}-db-1", f"{name}-migrate-1"]  # dependencies only


def test_stop_start_kill_rm_down(project: tuple[Hullbox, Path, str]) -> None:
    hullbox, directory, name = project
    assert _compose(hullbox, directory, name, "up", "-d")[0] == 0
    assert _compose(hullbox, directory, name, "stop", "web")[0] == 0
    assert _states(hullbox, name)[f"{name}-web-1"][0] == "exited"
    assert _compose(hullbox, directory, name, "start", "web")[0] == 0
    assert _states(hullbox, name)[f"{name}-web-1"][0] == "running"
    assert _compose(hullbox, directory, name, "kill", "db")[0] == 0
    assert _states(hullbox, name)[f"{name}-db-1"][0] == "exited"
    assert _compose(hullbox, directory, name, "rm", "db")[0] == 0
    assert f"{name}-db-1" not in _states(hullbox, name)
    code, _, err = _compose(hullbox, directory, name, "down")
    assert code == 0, err
    assert _states(hullbox, name) == {}


def test_failed_dependency_stops_up(hullbox: Hullbox, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  setup: {image: busybox, command: 'false'}\n"
        "  app:\n    image: busybox\n    command: sleep 300\n"
        "    depends_on: {setup: {condition: service_completed_successfully}}\n")
    code, _, err = _compose(hullbox, tmp_path, "tfaileddep", "up", "-d")
    try:
        assert code == 125
        assert "hullbox: service 'setup' did not complete successfully: container " \
            "tfaileddep-setup-1 exited with 1; 'app' not started" in err
        assert "tfaileddep-app-1" not in _states(hullbox, "tfaileddep")
    finally:
        _compose(hullbox, tmp_path, "tfaileddep", "down")


def test_unsupported_attribute_is_refused_before_anything_is_made(
        hullbox: Hullbox, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  ok: {image: busybox, command: sleep 300}\n"
        "  web: {image: busybox, use_api_socket: true}\n")
    code, out, err = _compose(hullbox, tmp_path, "tunsupported", "up", "-d")
    assert code == 125
    assert err == ("hullbox: service 'web' uses what hullbox cannot do yet: "
                   "use_api_socket (the Docker API socket)\n")
    assert _states(hullbox, "tunsupported") == {}
