"""docker compose's own e2e projects (../shared/corpora/compose/docker-compose-e2e)
that need nothing but what busybox can do, run as their tests run them. Their
``alpine`` and ``nginx`` images are busybox here: a private store where
busybox is tagged with those names."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import REPO_ROOT, Hullbox, hullbox_command

pytestmark = pytest.mark.root

FIXTURES = REPO_ROOT.parent / "shared" / "corpora" / "compose" / "docker-compose-e2e"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, busybox_tar: Path) -> Iterator[Hullbox]:
    """A store of its own, so the extra tags never show in other tests' listings."""
    import os

    if os.geteuid() != 0:
        pytest.skip("needs root: namespaces, mounts and cgroups")
    if not FIXTURES.is_dir():
        pytest.skip(f"{FIXTURES} is missing (the shared corpora)")
    runner = Hullbox(tmp_path_factory.mktemp("corpus-store"))
    runner.ok("import", str(busybox_tar), "busybox:latest")
    for name in ("alpine:latest", "nginx:latest"):
        runner.ok("tag", "busybox:latest", name)
    yield runner
    for container in runner("ps", "-aq", "--no-trunc").stdout.split():
        runner("rm", "-f", container)
    shutil.rmtree(runner.root, ignore_errors=True)
    from hullbox.network.bridge import sweep_orphans

    sweep_orphans()


def _copy(tmp_path: Path, name: str) -> Path:
    """A copy of a fixture project (tests change files in some)."""
    target = tmp_path / name
    shutil.copytree(FIXTURES / name, target)
    return target


def _compose(store: Hullbox, directory: Path, project: str,
             *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*hullbox_command(), "compose", "-p", project, *args],
                          cwd=directory, capture_output=True, text=True, env=store.env(),
                          timeout=180, check=False)


def _states(store: Hullbox, project: str) -> dict[str, str]:
    out = store.ok("ps", "-a", "--filter", f"label=com.docker.compose.project={project}",
                   "--format", "{{.Names}} {{.State}}")
    return dict(line.split() for line in out.splitlines())


def test_simple_composefile_up_ps_down(store: Hullbox, tmp_path: Path) -> None:
    fixture_dir = _copy(tmp_path, "simple-composefile")
    try:
        assert _compose(store, fixture_dir, "csimple", "up", "-d").returncode == 0
        ps = _compose(store, fixture_dir, "csimple", "ps", "--format", "{{.Name}} {{.State}}")
        assert ps.stdout.splitlines() == ["csimple-another-1 running",
                                          "csimple-simple-1 running"]
    finally:
        assert _compose(store, fixture_dir, "csimple", "down", "-t", "1").returncode == 0
    assert _states(store, "csimple") == {}


def test_config_hash_recreates_only_the_service_whose_env_file_changed(
        store: Hullbox, tmp_path: Path) -> None:
    fixture_dir = _copy(tmp_path, "config_hash")
    try:
        assert _compose(store, fixture_dir, "chash", "up", "-d").returncode == 0
        ids = store.ok("ps", "--no-trunc", "--filter",
                       "label=com.docker.compose.project=chash", "--format",
                       "{{.Names}}={{.ID}}").split()
        before = dict(item.split("=") for item in ids)
        with (fixture_dir / "app.env").open("a") as env_file:
            env_file.write("\nADDED=1\n")
        up = _compose(store, fixture_dir, "chash", "up", "-d")
        assert up.returncode == 0, up.stderr
        assert " Container chash-with-env-file-1  Recreate" in up.stderr
        after = dict(item.split("=") for item in store.ok(
            "ps", "--no-trunc", "--filter", "label=com.docker.compose.project=chash",
            "--format", "{{.Names}}={{.ID}}").split())
        assert after["chash-plain-1"] == before["chash-plain-1"]
        assert after["chash-optional-env-1"] == before["chash-optional-env-1"]
        assert after["chash-with-env-file-1"] != before["chash-with-env-file-1"]
        env = _compose(store, fixture_dir, "chash", "exec", "with-env-file", "env").stdout
        assert "ADDED=1" in env.splitlines()
    finally:
        _compose(store, fixture_dir, "chash", "down", "-t", "0")


def test_cascade_runs_in_order_and_keeps_exit_codes(store: Hullbox,
                                                    tmp_path: Path) -> None:
    fixture_dir = _copy(tmp_path, "cascade")
    try:
        up = _compose(store, fixture_dir, "ccascade", "up", "-d")
        assert up.returncode == 0, up.stderr
        store.ok("wait", "ccascade-fail-1")
        ps = _compose(store, fixture_dir, "ccascade", "ps", "-a", "--format",
                      "{{.Service}} {{.State}} {{.ExitCode}}")
        assert ps.stdout.splitlines() == ["exit exited 0", "fail exited 111",
                                          "running running 0"]
    finally:
        _compose(store, fixture_dir, "ccascade", "down", "-t", "1")


def test_up_of_one_service_brings_its_dependency_and_orphans_go(
        store: Hullbox, tmp_path: Path) -> None:
    fixture_dir = _copy(tmp_path, "ups-deps-stop")
    try:
        up = _compose(store, fixture_dir, "cdeps", "up", "-d", "app")
        assert up.returncode == 0, up.stderr
        assert _states(store, "cdeps") == {"cdeps-app-1": "running",
                                           "cdeps-dependency-1": "running"}
        logs = _compose(store, fixture_dir, "cdeps", "logs", "dependency").stdout
        assert logs.startswith("dependency-1  | hello dependency\n")
        stop = _compose(store, fixture_dir, "cdeps", "stop", "-t", "10")
        assert stop.returncode == 0
        assert set(_states(store, "cdeps").values()) == {"exited"}  # init passes SIGTERM on
        other = _compose(store, fixture_dir, "cdeps", "-f", "orphan.yaml", "up", "-d",
                         "--remove-orphans")
        assert other.returncode == 0, other.stderr
        assert _states(store, "cdeps") == {"cdeps-orphan-1": "running"}
    finally:
        _compose(store, fixture_dir, "cdeps", "-f", "orphan.yaml", "down", "-t", "1",
                 "--remove-orphans")


def test_restart_runs_the_command_again_in_the_same_container(
        store: Hullbox, tmp_path: Path) -> None:
    fixture_dir = _copy(tmp_path, "restart-test")
    try:
        up = _compose(store, fixture_dir, "crestart", "up", "-d", "restart")
        assert up.returncode == 0, up.stderr
        store.ok("wait", "crestart-restart-1")  # first run: makes the lock and exits 0
        assert _states(store, "crestart") == {"crestart-restart-1": "exited"}
        restart = _compose(store, fixture_dir, "crestart", "restart", "restart")
        assert restart.returncode == 0, restart.stderr
        assert _states(store, "crestart") == {"crestart-restart-1": "running"}
    finally:
        _compose(store, fixture_dir, "crestart", "down", "-t", "1")


def test_missing_env_file_fails_in_one_line_before_anything_is_made(
        store: Hullbox, tmp_path: Path) -> None:
    fixture_dir = _copy(tmp_path, "env_file")
    up = _compose(store, fixture_dir, "cenvfile", "up", "-d")
    assert up.returncode == 125
    assert up.stderr.count("\n") == 1 and "/doesnotexist/.env" in up.stderr
    assert _states(store, "cenvfile") == {}
