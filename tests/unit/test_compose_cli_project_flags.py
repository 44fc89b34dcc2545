"""The project flags of issue 8 as a user types them: ``-f a.yaml -f
b.yaml`` (merge), ``-p``, ``--profile``, ``--env-file``,
``COMPOSE_PROJECT_NAME``, ``COMPOSE_FILE``, ``.env`` in the project
directory, and ``config --services`` / ``--format json`` / ``version``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BASE = """
services:
  web:
    image: busybox
    environment: {GREETING: "${GREETING:-unset}"}
    ports: ["8080:80"]
  debug:
    image: busybox
    profiles: [dev]
"""
OVERRIDE = """
services:
  web:
    environment: {EXTRA: "yes"}
    ports: ["8081:81"]
  db:
    image: busybox
"""


def _compose(directory: Path, *args: str,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "hullbox"
    return subprocess.run([str(script), "compose", *args], cwd=directory, capture_output=True,
                          text=True, check=False,
                          env={"PATH": "/usr/bin:/bin", "HOME": "/HOMEDIR", **(env or {})})


def _model(directory: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    result = _compose(directory, *args, "config", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def _write(directory: Path) -> None:
    (directory / "compose.yaml").write_text(BASE)
    (directory / "override.yaml").write_text(OVERRIDE)


def test_two_files_merge_in_order(tmp_path: Path) -> None:
    _write(tmp_path)
    model = _model(tmp_path, "-f", "compose.yaml", "-f", "override.yaml", "-p", "merged")
    assert model["name"] == "merged"
    services = model["services"]
    assert isinstance(services, dict)
    assert sorted(services) == ["db", "web"]  # debug is behind its profile
    assert services["web"]["environment"] == {"GREETING": "unset", "EXTRA": "yes"}
    assert [p["published"] for p in services["web"]["ports"]] == ["8080", "8081"]


def test_compose_file_and_project_name_from_the_environment(tmp_path: Path) -> None:
    _write(tmp_path)
    env = {"COMPOSE_FILE": "compose.yaml:override.yaml", "COMPOSE_PROJECT_NAME": "fromenv"}
    model = _model(tmp_path, env=env)
    assert model["name"] == "fromenv"
    assert sorted(model["services"]) == ["db", "web"]  # type: ignore[arg-type]
    assert _model(tmp_path, "-p", "flagwins", env=env)["name"] == "flagwins"


def test_profile_flag_enables_its_services(tmp_path: Path) -> None:
    _write(tmp_path)
    services = _compose(tmp_path, "--profile", "dev", "config", "--services")
    assert services.returncode == 0, services.stderr
    assert sorted(services.stdout.split()) == ["debug", "web"]
    plain = _compose(tmp_path, "config", "--services")
    assert plain.stdout == "web\n"
    profiles = _compose(tmp_path, "config", "--profiles")
    assert profiles.stdout == "dev\n"


def test_dot_env_and_env_file(tmp_path: Path) -> None:
    _write(tmp_path)
    (tmp_path / ".env").write_text("GREETING=from-dot-env\n")
    (tmp_path / "other.env").write_text("GREETING=from-env-file\n")
    web = _model(tmp_path)["services"]["web"]  # type: ignore[index]
    assert web["environment"]["GREETING"] == "from-dot-env"
    web = _model(tmp_path, "--env-file", "other.env")["services"]["web"]  # type: ignore[index]
    assert web["environment"]["GREETING"] == "from-env-file"
    missing = _compose(tmp_path, "--env-file", "nope.env", "config")
    assert missing.returncode == 125
    assert missing.stderr.count("\n") == 1 and "nope.env" in missing.stderr


def test_version(tmp_path: Path) -> None:
    from hullbox import __version__

    assert _compose(tmp_path, "version").stdout == f"hullbox compose version v{__version__}\n"
    assert _compose(tmp_path, "version", "--short").stdout == f"{__version__}\n"
    assert json.loads(_compose(tmp_path, "version", "--format", "json").stdout) == {
        "version": f"v{__version__}"}
