"""``shm_size`` and ``cpu_quota`` as a user types them, on the engine's
settings (a /dev/shm tmpfs of that size, --cpus), and what the engine
cannot do refused in one line naming the key."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root


def _compose(hullbox: Hullbox, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*hullbox_command(), "compose", "-p", "tresources", *args],
                          cwd=directory, capture_output=True, text=True, timeout=120,
                          env=hullbox.env(), check=False)


def test_shm_size_and_cpu_quota_apply(hullbox: Hullbox, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: busybox\n    command: sleep 300\n"
        "    stop_signal: SIGKILL\n    shm_size: 16m\n    cpu_quota: 50000\n")
    try:
        up = _compose(hullbox, tmp_path, "up", "-d")
        assert up.returncode == 0, up.stderr
        df = _compose(hullbox, tmp_path, "exec", "web", "df", "-k", "/dev/shm").stdout
        assert df.splitlines()[1].split()[1] == "16384"
        writable = _compose(hullbox, tmp_path, "exec", "-u", "1000", "web", "touch",
                            "/dev/shm/mine")
        assert writable.returncode == 0, writable.stderr  # mode 1777, as Docker's
        config = json.loads(hullbox.ok("inspect", "tresources-web-1"))[0]["HostConfig"]
        assert config["NanoCpus"] == 500_000_000  # 50ms of every 100ms
    finally:
        _compose(hullbox, tmp_path, "down", "-t", "0")


def test_what_the_engine_cannot_do_is_one_line(hullbox: Hullbox, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web: {image: busybox, command: sleep 300, gpus: all}\n")
    up = _compose(hullbox, tmp_path, "up", "-d")
    assert up.returncode == 125
    assert up.stderr == ("hullbox: service 'web': gpus: could not select device driver \"\" "
                         "with capabilities: [[gpu]]: hullbox has no GPU support (as --gpus)\n")
    assert hullbox.ok("ps", "-aq", "--filter",
                      "label=com.docker.compose.project=tresources") == ""
