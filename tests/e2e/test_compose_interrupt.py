"""Attached ``compose up`` started the way a script starts it in the
background (``hullbox compose up &``: the shell starts it with SIGINT
ignored) still stops its services on SIGINT, as docker compose does."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root

PROJECT = """
services:
  long:
    image: busybox
    command: sh -c 'echo long starts; exec sleep 300'
    stop_signal: SIGKILL
"""


@pytest.fixture
def project(hullbox: Hullbox, tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "tcinterrupt"
    directory.mkdir()
    (directory / "compose.yaml").write_text(PROJECT)
    yield directory
    subprocess.run([*hullbox_command(), "compose", "-p", directory.name, "down", "-t", "0"],
                   cwd=directory, capture_output=True, timeout=120, env=hullbox.env(),
                   check=False)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # what sh does for a command run with &


def test_sigint_stops_an_up_started_with_sigint_ignored(hullbox: Hullbox,
                                                        project: Path) -> None:
    process = subprocess.Popen([*hullbox_command(), "compose", "-p", project.name, "up"],
                               cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=hullbox.env(), preexec_fn=_ignore_sigint)
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "long-1  | long starts\n"
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, err
    assert "Gracefully stopping..." in err
    states = hullbox.ok("ps", "-a", "--filter", f"label=com.docker.compose.project={project.name}",
                        "--format", "{{.Names}} {{.State}}")
    assert states.split() == [f"{project.name}-long-1", "exited"]
