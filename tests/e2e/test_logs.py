"""Container logs as a user types the commands: logs of foreground runs,
rotation (--log-opt max-size/max-file), logs -f across restarts,
--log-driver none, and -d with --runtime runc (issue 3)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command, until

pytestmark = pytest.mark.root


def test_a_foreground_run_keeps_a_log(box: Hullbox) -> None:
    result = box("run", "--name", "fg", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert (result.returncode, result.stdout, result.stderr) == (3, "out\n", "err\n")
    logged = box("logs", "fg")
    assert (logged.stdout, logged.stderr) == ("out\n", "err\n")
    assert box("start", "-a", "fg").returncode == 3  # a second run appends, as in Docker
    assert box.ok("logs", "fg") == "out\nout\n"
    box.ok("run", "--name", "quiet", "--log-driver", "none", "busybox", "echo", "hi")
    refused = box("logs", "quiet")
    assert refused.returncode == 125
    assert refused.stderr.startswith("hullbox: configured logging driver does not support")


def test_log_rotation_keeps_max_file_files(box: Hullbox) -> None:
    container_id = box.ok(
        "run", "-d", "--name", "chatty", "--log-opt", "max-size=2k", "--log-opt", "max-file=3",
        "busybox", "sh", "-c", "i=0; while [ $i -lt 400 ]; do echo line$i; i=$((i+1)); done",
    ).strip()
    assert box.ok("wait", "chatty") == "0\n"
    directory = box.root / "containers" / container_id
    logs = sorted(p.name for p in directory.glob("json.log*"))
    assert logs == ["json.log", "json.log.1", "json.log.2"]
    assert all((directory / name).stat().st_size < 2000 + 200 for name in logs)
    lines = box.ok("logs", "chatty").split()
    assert lines[-1] == "line399" and 20 < len(lines) < 400
    assert lines == [f"line{i}" for i in range(400 - len(lines), 400)]  # none lost in between


def test_logs_follow_across_restarts(box: Hullbox) -> None:
    box.ok("run", "-d", "--name", "flaky", "--restart", "on-failure:2", "busybox", "sh", "-c",
           "echo run; sleep 0.5; exit 1")
    follower = subprocess.run([*hullbox_command(), "logs", "-f", "flaky"], env=box.env(),
                              capture_output=True, timeout=60, check=False)
    assert follower.returncode == 0
    assert follower.stdout == b"run\nrun\nrun\n"
    assert box.ok("inspect", "-f", "{{.State.Status}} {{.RestartCount}}", "flaky") == \
        "exited 2\n"


def test_detached_with_runc(box: Hullbox) -> None:
    if shutil.which("runc") is None:
        pytest.skip("runc is not installed (apt-get install runc)")
    box.ok("run", "-d", "--name", "r", "--runtime", "runc", "busybox", "sh", "-c",
           "echo from-runc; sleep 60")
    assert until(lambda: box.ok("logs", "r") == "from-runc\n")
    assert box.ok("ps", "--format", "{{.Names}} {{.State}}") == "r running\n"
    assert box.ok("stop", "-t", "1", "r") == "r\n"
    assert box.ok("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "r") == \
        "exited 137\n"
    box.ok("start", "r")  # runc's state was deleted at the exit: it starts again
    assert box.ok("inspect", "-f", "{{.State.Status}}", "r") == "running\n"
    missing = box("run", "-d", "--runtime", "runc", "busybox", "nosuchcmd")
    assert missing.returncode == 127
    assert missing.stderr == 'hullbox: exec "nosuchcmd": executable file not found in $PATH\n'


def test_a_killed_monitor_of_a_runc_container_is_cleaned_up(box: Hullbox) -> None:
    if shutil.which("runc") is None:
        pytest.skip("runc is not installed (apt-get install runc)")
    container_id = box.ok("run", "-d", "--name", "orphan", "--runtime", "runc", "busybox",
                          "sleep", "60").strip()
    pid = int(box.ok("inspect", "-f", "{{.State.Pid}}", "orphan"))
    monitor = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    os.kill(monitor, signal.SIGKILL)
    assert until(lambda: "Exited (137)" in box.ok("ps", "-a", "--filter", "name=orphan"))
    assert not Path(f"/run/hullbox/runc/{container_id}").exists()
    box.ok("start", "orphan")  # runc does not trip over a container it still knew
    assert box.ok("inspect", "-f", "{{.State.Status}}", "orphan") == "running\n"
