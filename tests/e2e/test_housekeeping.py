"""rename, container prune and the lifecycle flags (--stop-signal,
--stop-timeout, --log-driver, --log-opt), as a user types them (issue 3)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from .conftest import Hullbox

pytestmark = pytest.mark.root


def test_rename_a_running_container_and_name_conflicts(box: Hullbox) -> None:
    container_id = box.ok("run", "-d", "--name", "web", "busybox", "sleep", "60").strip()
    box.ok("create", "--name", "taken", "busybox", "true")
    assert box.ok("rename", "web", "web2") == ""
    assert box.ok("ps", "--format", "{{.Names}}") == "web2\n"
    assert box.ok("inspect", "-f", "{{.Name}} {{.State.Status}}", container_id) == \
        "/web2 running\n"
    assert box("inspect", "web").returncode == 1

    taken = box("rename", "web2", "taken")
    assert taken.returncode == 125
    assert taken.stderr.startswith('hullbox: container name "/taken" is already in use by')
    assert len(taken.stderr.splitlines()) == 1
    same = box("rename", "web2", "web2")
    assert same.returncode == 125 and len(same.stderr.splitlines()) == 1
    bad = box("rename", "web2", "no spaces")
    assert bad.returncode == 125 and "invalid container name" in bad.stderr
    missing = box("rename", "nope", "other")
    assert (missing.returncode, missing.stderr) == (125, "hullbox: no such container: nope\n")
    assert sorted(box.ok("ps", "-a", "--format", "{{.Names}}").split()) == ["taken", "web2"]
    # the old name is free again
    box.ok("create", "--name", "web", "busybox", "true")
    box.ok("container", "rename", "web", "web3")


def test_container_prune_removes_only_stopped_containers(box: Hullbox) -> None:
    running = box.ok("run", "-d", "--name", "up", "busybox", "sleep", "60").strip()
    created = box.ok("create", "--name", "new", "busybox", "true").strip()
    exited = box.ok("run", "--name", "done", "busybox", "sh", "-c",
                    "head -c 5000 /dev/zero > /blob").strip()
    exited = box.ok("inspect", "-f", "{{.Id}}", "done").strip()

    declined = box("container", "prune", input=b"n\n")
    assert declined.returncode == 0 and declined.stdout.endswith("Total reclaimed space: 0B\n")
    assert len(box.ok("ps", "-aq").split()) == 3

    out = box.ok("container", "prune", "-f").splitlines()
    assert out[0] == "Deleted Containers:"
    assert sorted(out[1:3]) == sorted([created, exited])
    assert out[3] == ""
    assert out[4].startswith("Total reclaimed space: 5")  # the 5000-byte file
    assert box.ok("ps", "-aq", "--no-trunc").split() == [running]
    assert not (box.root / "containers" / exited).exists()
    assert box.ok("container", "prune", "-f") == "Total reclaimed space: 0B\n"
    bad = box("container", "prune", "-f", "--filter", "status=exited")
    assert bad.returncode == 125 and "invalid filter" in bad.stderr


def test_stop_uses_the_images_stopsignal(box: Hullbox, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM busybox\nSTOPSIGNAL USR1\n")
    box.ok("build", "-t", "stopsig:1", str(tmp_path))
    trap = "trap 'echo got-usr1; exit 7' USR1; while :; do sleep 0.1; done"
    box.ok("run", "-d", "--name", "fromimage", "stopsig:1", "sh", "-c", trap)
    assert box.ok("stop", "fromimage") == "fromimage\n"
    assert box.ok("inspect", "-f", "{{.State.ExitCode}}", "fromimage") == "7\n"
    assert box.ok("logs", "fromimage") == "got-usr1\n"
    box.ok("rm", "fromimage")
    box.ok("rmi", "stopsig:1")


def test_stop_signal_and_stop_timeout_flags(box: Hullbox) -> None:
    trap = "trap 'echo got-usr1; exit 7' USR1; while :; do sleep 0.1; done"
    box.ok("run", "-d", "--name", "polite", "--stop-signal", "USR1", "busybox", "sh", "-c",
           trap)
    assert box.ok("stop", "polite") == "polite\n"
    assert box.ok("inspect", "-f", "{{.State.ExitCode}}", "polite") == "7\n"
    assert box.ok("logs", "polite") == "got-usr1\n"
    assert box.ok("inspect", "-f", "{{.Config.StopSignal}}", "polite") == "USR1\n"

    # sh as PID 1 ignores SIGTERM: --stop-timeout 1 kills it after a second, not 10.
    box.ok("run", "-d", "--name", "stubborn", "--stop-timeout", "1", "busybox", "sh", "-c",
           "while :; do sleep 0.1; done")
    started = time.monotonic()
    box.ok("stop", "stubborn")
    assert time.monotonic() - started < 8
    assert box.ok("inspect", "-f", "{{.State.ExitCode}} {{.Config.StopTimeout}}",
                  "stubborn") == "137 1\n"

    for flags, message in (
        (["--stop-signal", "NOPE"], "hullbox: invalid signal 'NOPE'"),
        (["--log-driver", "syslog"], "hullbox: logging driver 'syslog' is not supported"),
        (["--log-opt", "max-size=lots"], "hullbox: invalid --log-opt max-size 'lots'"),
        (["--log-opt", "max-file=0"], "hullbox: invalid --log-opt max-file '0'"),
        (["--log-opt", "colour=red"], "hullbox: unknown log opt 'colour' for json-file"),
        (["--log-driver", "none", "--log-opt", "max-size=1m"], "hullbox: unknown log opt"),
    ):
        bad = box("run", "-d", *flags, "busybox", "true")
        assert bad.returncode == 125, flags
        assert bad.stderr.startswith(message) and len(bad.stderr.splitlines()) == 1, bad.stderr
    assert box.ok("ps", "-aq", "-f", "name=polite") != ""
    assert len(box.ok("ps", "-aq").split()) == 2  # nothing half-made by the bad ones

    box.ok("create", "--name", "rotating", "--log-opt", "max-size=10m", "--log-opt",
           "max-file=3", "busybox", "true")
    config = json.loads(box.ok("inspect", "-f", "{{json .HostConfig.LogConfig}}", "rotating"))
    assert config == {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "3"}}
