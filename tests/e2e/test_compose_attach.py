"""Attached ``compose up`` as a user types it: prefixed output until the
containers stop, Ctrl-C stopping them, ``--abort-on-container-exit``,
``--abort-on-container-failure`` and ``--exit-code-from``; and ``run -d``."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root

PROJECT = """
services:
  migrate:
    image: busybox
    command: echo migrated
  short:
    image: busybox
    command: sh -c 'echo short starts; sleep 1; exit 4'
    depends_on:
      migrate: {condition: service_completed_successfully}
  long:
    image: busybox
    command: sh -c 'echo long starts; exec sleep 300'
    stop_signal: SIGKILL
"""


@pytest.fixture
def project(hullbox: Hullbox, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    directory = tmp_path / ("ta" + request.node.name.replace("_", "")[-18:].lower())
    directory.mkdir()
    (directory / "compose.yaml").write_text(PROJECT)
    yield directory
    _compose(hullbox, directory, "down", "-t", "0")


def _command(directory: Path, *args: str) -> list[str]:
    return [*hullbox_command(), "compose", "-p", directory.name, *args]


def _compose(hullbox: Hullbox, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_command(directory, *args), cwd=directory, capture_output=True,
                          text=True, timeout=120, env=hullbox.env(), check=False)


def _states(hullbox: Hullbox, project: str) -> dict[str, str]:
    out = hullbox.ok("ps", "-a", "--filter", f"label=com.docker.compose.project={project}",
                     "--format", "{{.Names}} {{.State}}")
    return dict(line.split() for line in out.splitlines())


def test_attached_up_prints_prefixed_output_until_the_containers_stop(
        hullbox: Hullbox, project: Path) -> None:
    (project / "compose.yaml").write_text(
        "services:\n  a: {image: busybox, command: echo hello from a}\n"
        "  b: {image: busybox, command: sh -c 'echo b fails; exit 3'}\n")
    up = _compose(hullbox, project, "up")
    assert up.returncode == 0, up.stderr  # no abort flag: the exit codes are only shown
    # as docker compose: names without the project, no colour off a terminal
    assert sorted(up.stdout.splitlines()) == ["a-1  | hello from a", "b-1  | b fails"]
    assert "Attaching to a-1, b-1" in up.stderr.splitlines()
    assert "a-1 exited with code 0" in up.stderr.splitlines()
    assert "b-1 exited with code 3" in up.stderr.splitlines()
    assert "\033[" not in up.stdout + up.stderr
    quiet = _compose(hullbox, project, "up", "--no-attach", "b")
    assert quiet.returncode == 0, quiet.stderr
    assert "b fails" not in quiet.stdout and "Attaching to a-1" in quiet.stderr.splitlines()
    only = _compose(hullbox, project, "up", "--attach", "b")
    assert "hello from a" not in only.stdout and "b-1  | b fails" in only.stdout


def _on_a_terminal(hullbox: Hullbox, directory: Path, *args: str) -> bytes:
    """What the command writes to a terminal (a pty as its stdout)."""
    import os
    import pty

    main, side = pty.openpty()
    try:
        subprocess.run(_command(directory, *args), cwd=directory, stdout=side,
                       stderr=subprocess.DEVNULL, timeout=120, env=hullbox.env(), check=True)
        os.close(side)
        side = -1
        out = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the terminal's other side is closed and drained
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        os.close(main)
        if side >= 0:
            os.close(side)


def test_prefixes_are_coloured_on_a_terminal_only(hullbox: Hullbox, project: Path) -> None:
    (project / "compose.yaml").write_text(
        "services:\n  a: {image: busybox, command: echo hello from a}\n"
        "  bb: {image: busybox, command: echo hello from bb}\n")
    tty = _on_a_terminal(hullbox, project, "up").replace(b"\r\n", b"\n")
    # docker compose's rainbow: the first container (sorted) cyan, the second yellow
    assert b"\033[36ma-1   | \033[0mhello from a\n" in tty
    assert b"\033[33mbb-1  | \033[0mhello from bb\n" in tty
    logs = _on_a_terminal(hullbox, project, "logs", "--no-color").replace(b"\r\n", b"\n")
    assert sorted(logs.decode().splitlines()) == ["a-1   | hello from a",
                                                  "bb-1  | hello from bb"]
    forced = _compose(hullbox, project, "--ansi", "always", "logs", "a")
    assert forced.stdout == "\033[36ma-1  | \033[0mhello from a\n"
    plain = _compose(hullbox, project, "up", "--no-log-prefix", "--timestamps", "a")
    assert plain.returncode == 0, plain.stderr
    stamp, _, text = plain.stdout.splitlines()[-1].partition(" ")
    assert text == "hello from a" and stamp.startswith("20") and "T" in stamp, plain.stdout


def test_abort_on_container_exit_stops_the_rest_and_returns_the_first_exit_code(
        hullbox: Hullbox, project: Path) -> None:
    up = _compose(hullbox, project, "up", "--abort-on-container-exit")
    assert up.returncode == 4, up.stderr
    name = project.name
    assert "Aborting on container exit..." in up.stderr
    assert "long-1     | long starts" in up.stdout.splitlines()  # names padded
    # migrate's exit 0 is what short waited for: it aborts nothing.
    assert up.stderr.index("short-1 exited with code 4") < \
        up.stderr.index("Aborting on container exit...")
    assert _states(hullbox, name) == {f"{name}-migrate-1": "exited",
                                      f"{name}-short-1": "exited",
                                      f"{name}-long-1": "exited"}


def test_exit_code_from_returns_that_services_code(hullbox: Hullbox, project: Path) -> None:
    up = _compose(hullbox, project, "up", "--exit-code-from", "long")
    assert up.returncode == 137, up.stderr  # long was killed (stop_signal) by the abort
    assert "Aborting on container exit..." in up.stderr
    bad = _compose(hullbox, project, "up", "-d", "--exit-code-from", "long")
    assert bad.returncode == 125
    assert bad.stderr == ("hullbox: --exit-code-from needs the attached up: drop -d, "
                          "--wait and --no-start\n")


def test_abort_on_container_failure_ignores_a_clean_exit(hullbox: Hullbox,
                                                         project: Path) -> None:
    (project / "compose.yaml").write_text(PROJECT.replace("exit 4", "exit 0").replace(
        "migrate:\n    image: busybox\n    command: echo migrated",
        "migrate:\n    image: busybox\n    command: sh -c 'sleep 3; exit 5'").replace(
        "    depends_on:\n      migrate: {condition: service_completed_successfully}\n", ""))
    up = _compose(hullbox, project, "up", "--abort-on-container-failure")
    # short's exit 0 stopped nothing: migrate ran on to fail, and its code is up's.
    assert up.returncode == 5, up.stderr
    assert "short-1 exited with code 0" in up.stderr
    assert "Aborting on container exit..." in up.stderr


def test_ctrl_c_stops_the_services(hullbox: Hullbox, project: Path) -> None:
    process = subprocess.Popen(_command(project, "up", "long"), cwd=project,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=hullbox.env())
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
    assert _states(hullbox, project.name) == {f"{project.name}-long-1": "exited"}


def test_a_second_ctrl_c_kills_what_the_first_is_still_stopping(hullbox: Hullbox,
                                                                project: Path) -> None:
    # sleep as PID 1 ignores SIGTERM: a graceful stop would wait the whole 200s.
    (project / "compose.yaml").write_text(
        "services:\n  stubborn:\n    image: busybox\n"
        "    command: sh -c 'echo up; exec sleep 300'\n    stop_grace_period: 200s\n")
    process = subprocess.Popen(_command(project, "up"), cwd=project, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=hullbox.env())
    try:
        assert process.stdout is not None and process.stderr is not None
        assert process.stdout.readline().endswith("| up\n")
        process.send_signal(signal.SIGINT)
        seen = []
        while not seen or not seen[-1].startswith("Gracefully stopping"):
            seen.append(process.stderr.readline())
            assert seen[-1], "".join(seen)
        process.send_signal(signal.SIGINT)
        _out, err = process.communicate(timeout=60)  # far less than the grace period
    finally:
        process.kill()
        process.wait()
    assert "Killing..." in err
    assert _states(hullbox, project.name) == {f"{project.name}-stubborn-1": "exited"}


def test_run_detached_prints_the_one_off_container_and_rm_removes_it(
        hullbox: Hullbox, project: Path) -> None:
    run = _compose(hullbox, project, "run", "-d", "long", "sh", "-c", "echo one-off; sleep 300")
    assert run.returncode == 0, run.stderr
    name = run.stdout.strip()
    assert name.startswith(f"{project.name}-long-run-")
    assert _states(hullbox, project.name) == {name: "running"}  # long has no dependencies
    assert hullbox.ok("logs", name) == "one-off\n"
    short = _compose(hullbox, project, "run", "-d", "--rm", "--name", "tarundetached-gone",
                     "long", "true")
    assert short.returncode == 0, short.stderr
    deadline = time.monotonic() + 30
    while "tarundetached-gone" in _states(hullbox, project.name):
        assert time.monotonic() < deadline, "run -d --rm left its container"
        time.sleep(0.2)
    hullbox("rm", "-f", name)
