"""Detached containers and their monitor, as a user types the commands:
run -d, ps, logs, stop, kill, wait, start, restart, rm -f (issue 3)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command, until

pytestmark = pytest.mark.root

TICKER = ["sh", "-c", "while :; do echo tick; echo tock >&2; sleep 0.2; done"]


def _monitor_pids(root: Path) -> list[int]:
    """Monitors of this store only: other stores' tests may run beside these."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            args = cmdline.split(b"\0")
            if b"hullbox.engine.monitor" in args and str(root.resolve()).encode() in args:
                pids.append(int(entry.name))
    return pids


def _leftovers(root: Path, container_id: str) -> list[str]:
    """Mounts and cgroups of the container still present."""
    with open("/proc/self/mountinfo") as info:
        mounts = [line.split()[4] for line in info if line.split()[4].startswith(str(root))]
    cgroups = [str(p) for p in Path("/sys/fs/cgroup").glob(f"*/hullbox/{container_id}")]
    cgroups += [str(p) for p in Path("/sys/fs/cgroup").glob(f"hullbox/{container_id}")]
    return mounts + cgroups


def _state(hullbox: Hullbox, name: str) -> str:
    return hullbox.ok("inspect", "-f", "{{.State.Status}}", name).strip()


def test_run_detached_prints_the_id_and_ps_shows_it_up(box: Hullbox) -> None:
    started = time.monotonic()
    container_id = box.ok("run", "-d", "--name", "web", "busybox", *TICKER).strip()
    assert time.monotonic() - started < 10
    assert len(container_id) == 64 and int(container_id, 16) >= 0
    box.ok("create", "--name", "idle", "busybox", "true")
    assert box("run", "--name", "done", "busybox", "sh", "-c", "exit 2").returncode == 2

    table = box.ok("ps").splitlines()
    assert len(table) == 2
    assert table[1].startswith(container_id[:12])
    assert "Up " in table[1] and table[1].endswith("web")
    assert box.ok("inspect", "-f", "{{.State.Status}} {{.State.Running}}", "web") == \
        "running true\n"

    assert len(box.ok("ps", "-a", "-q").split()) == 3
    assert box.ok("ps", "--filter", "status=running", "--format", "{{.Names}}") == "web\n"
    assert box.ok("ps", "--filter", "status=exited", "--format", "{{.Names}}") == "done\n"
    assert box.ok("ps", "--filter", "status=created", "--format", "{{.Names}}") == "idle\n"
    assert box.ok("ps", "-a", "--filter", "name=web", "-q") == container_id[:12] + "\n"
    assert box.ok("ps", "--format", "{{.ID}} {{.Names}}") == f"{container_id[:12]} web\n"
    row = json.loads(box.ok("ps", "--format", "json"))
    assert (row["ID"], row["Names"], row["State"]) == (container_id[:12], "web", "running")
    table = box.ok("ps", "--format", "table {{.ID}}\t{{.Names}}").splitlines()
    assert table == ["CONTAINER ID   NAMES", f"{container_id[:12]}   web"]
    assert row["Status"].startswith("Up ")

    bad = box("ps", "--filter", "colour=red")
    assert bad.returncode == 125 and bad.stderr.startswith("hullbox: invalid filter 'colour'")


def test_run_detached_reports_start_failures(box: Hullbox) -> None:
    missing = box("run", "-d", "busybox", "nosuchcmd")
    assert missing.returncode == 127
    assert missing.stdout == ""
    assert missing.stderr == 'hullbox: exec "nosuchcmd": executable file not found in $PATH\n'
    no_image = box("run", "-d", "nosuchimage")
    assert no_image.returncode == 125
    assert "not found locally" in no_image.stderr and len(no_image.stderr.splitlines()) == 1
    removed = box("run", "-d", "--rm", "busybox", "nosuchcmd")
    assert removed.returncode == 127
    # Only the first one is left, exited 127 as Docker leaves it; no monitor lingers.
    assert box.ok("ps", "-a", "--format", "{{.Status}}").startswith("Exited (127)")
    assert len(box.ok("ps", "-aq").split()) == 1
    assert until(lambda: _monitor_pids(box.root) == [])


def test_the_monitor_outlives_the_command_that_started_it(box: Hullbox) -> None:
    box.ok("run", "-d", "--name", "short", "busybox", "sh", "-c", "sleep 1; exit 5")
    # The `hullbox run -d` process is long gone; the monitor records the end.
    assert box.ok("wait", "short") == "5\n"
    info = json.loads(box.ok("inspect", "short"))[0]
    assert info["State"]["Status"] == "exited"
    assert info["State"]["ExitCode"] == 5
    assert info["State"]["FinishedAt"] > info["State"]["StartedAt"]


def test_monitor_is_the_parent_and_stays_small(box: Hullbox) -> None:
    box.ok("run", "-d", "--name", "idle", "busybox", "sleep", "60")
    pid = int(box.ok("inspect", "-f", "{{.State.Pid}}", "idle"))
    parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    cmdline = Path(f"/proc/{parent}/cmdline").read_bytes().split(b"\0")
    assert b"hullbox.engine.monitor" in cmdline
    assert Path(f"/proc/{parent}/fd/0").resolve() == Path("/dev/null")
    status = Path(f"/proc/{parent}/status").read_text()
    rss_kb = int(status.split("VmRSS:")[1].split()[0])
    assert rss_kb < 40_000, f"monitor RSS {rss_kb} kB"  # a guard, not the tracked figure


def test_logs_keep_streams_apart_with_tail_timestamps_and_since(box: Hullbox) -> None:
    box.ok("run", "-d", "--name", "talk", "busybox", "sh", "-c",
                 "echo one; echo err1 >&2; echo two; sleep 3; echo three; sleep 60")
    assert until(lambda: "three" in box.ok("logs", "talk"))
    # "three" came 3 s after the others and a moment ago: only it is in the last 2 s.
    assert box.ok("logs", "--since", "2s", "talk") == "three\n"
    result = box("logs", "talk")
    assert (result.stdout, result.stderr) == ("one\ntwo\nthree\n", "err1\n")
    assert box.ok("logs", "--tail", "1", "talk") == "three\n"
    assert box.ok("logs", "--tail", "0", "talk") == ""
    stamped = box.ok("logs", "-t", "talk").splitlines()
    assert [line.split(" ", 1)[1] for line in stamped] == ["one", "two", "three"]
    assert all(len(line.split(" ")[0]) == 30 and line.split(" ")[0].endswith("Z")
               for line in stamped)
    # --since the time of "two" keeps "two", as Docker does.
    assert box.ok("logs", "--since", stamped[1].split(" ")[0], "talk") == "two\nthree\n"
    assert box.ok("logs", "--until", stamped[1].split(" ")[0], "talk") == "one\ntwo\n"
    assert box.ok("logs", "--since", "10m", "talk") == "one\ntwo\nthree\n"
    bad = box("logs", "--since", "yesterday", "talk")
    assert bad.returncode == 125 and bad.stderr.startswith("hullbox: invalid --since")
    missing = box("logs", "nope")
    assert (missing.returncode, missing.stderr) == (125, "hullbox: no such container: nope\n")


def test_logs_follow_until_the_container_exits(box: Hullbox) -> None:
    box.ok("run", "-d", "--name", "count", "busybox", "sh", "-c",
                 "for i in 1 2 3; do echo line$i; sleep 0.5; done; echo bye >&2; exit 3")
    follower = subprocess.Popen([*hullbox_command(), "logs", "-f", "count"],
                                env=box.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    out, err = follower.communicate(timeout=20)
    assert follower.returncode == 0
    assert (out, err) == (b"line1\nline2\nline3\n", b"bye\n")
    assert box.ok("inspect", "-f", "{{.State.ExitCode}}", "count") == "3\n"


def test_stop_kill_wait_start_restart(box: Hullbox) -> None:
    container_id = box.ok("run", "-d", "--name", "web", "busybox", *TICKER).strip()
    first_pid = box.ok("inspect", "-f", "{{.State.Pid}}", "web")

    # sh as PID 1 ignores SIGTERM: stop waits -t seconds, then SIGKILL.
    started = time.monotonic()
    assert box.ok("stop", "-t", "1", "web") == "web\n"
    assert 1 <= time.monotonic() - started < 10
    assert _state(box, "web") == "exited"
    assert box.ok("wait", "web") == "137\n"
    assert "Exited (137)" in box.ok("ps", "-a", "--filter", "name=web")
    assert box.ok("stop", "web") == "web\n"  # already stopped: nothing to do

    assert box.ok("start", "web") == "web\n"
    assert _state(box, "web") == "running"
    assert box.ok("inspect", "-f", "{{.State.Pid}}", "web") != first_pid
    assert box.ok("start", "web") == "web\n"  # already running: nothing to do

    pid = box.ok("inspect", "-f", "{{.State.Pid}}", "web")
    assert box.ok("restart", "-t", "0", "web") == "web\n"
    assert _state(box, "web") == "running"
    assert box.ok("inspect", "-f", "{{.State.Pid}}", "web") != pid

    # A trap shows the signal arrived; then the default SIGKILL ends it.
    box.ok("run", "-d", "--name", "trap", "busybox", "sh", "-c",
                 "trap 'echo got-hup' HUP; while :; do sleep 0.1; done")
    assert box.ok("kill", "-s", "HUP", "trap") == "trap\n"
    assert until(lambda: "got-hup" in box.ok("logs", "trap"))
    assert _state(box, "trap") == "running"
    assert box.ok("kill", "trap", "web") == "trap\nweb\n"
    assert box.ok("wait", "trap", "web") == "137\n137\n"
    assert box.ok("ps", "-q") == ""
    assert _leftovers(box.root, container_id) == []


def test_lifecycle_errors_are_one_line(box: Hullbox) -> None:
    box.ok("create", "--name", "idle", "busybox", "true")
    stop = box("stop", "nope", "idle")
    assert (stop.returncode, stop.stdout) == (1, "idle\n")
    assert stop.stderr == "hullbox: no such container: nope\n"
    kill = box("kill", "idle")
    assert kill.returncode == 125
    assert kill.stderr == "hullbox: cannot kill container idle: it is not running\n"
    bad_signal = box("kill", "-s", "NOPE", "idle")
    assert bad_signal.returncode == 125
    assert bad_signal.stderr.startswith("hullbox: invalid signal 'NOPE'")
    wait = box("wait", "nope")
    assert (wait.returncode, wait.stderr) == (125, "hullbox: no such container: nope\n")
    # only some failed: the others went ahead, and the exit is 1
    assert box("rm", "nope", "idle").returncode == 1
    policy = box("run", "-d", "--restart", "sometimes", "busybox", "true")
    assert policy.returncode == 125 and "invalid restart policy" in policy.stderr
    assert box.ok("ps", "-aq").split() == box.ok("ps", "-aq", "-f",
                                                             "name=idle").split()


def test_rm_force_kills_and_the_monitor_cleans_up(box: Hullbox) -> None:
    container_id = box.ok("run", "-d", "--name", "doomed", "busybox", *TICKER).strip()
    assert _leftovers(box.root, container_id) != []  # the rootfs is mounted
    refused = box("rm", "doomed")
    assert refused.returncode == 125 and "it is running" in refused.stderr
    assert box.ok("rm", "-f", "doomed") == "doomed\n"
    assert box("inspect", "doomed").returncode == 1
    assert _leftovers(box.root, container_id) == []
    assert not (box.root / "containers" / container_id).exists()
    assert not Path(f"/run/hullbox/runtime/{container_id}").exists()
    assert until(lambda: _monitor_pids(box.root) == [])


def test_a_killed_monitor_is_noticed_and_cleaned_up(box: Hullbox) -> None:
    container_id = box.ok("run", "-d", "--name", "orphan", "busybox", "sleep", "60")
    container_id = container_id.strip()
    pid = int(box.ok("inspect", "-f", "{{.State.Pid}}", "orphan"))
    monitor = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    os.kill(monitor, signal.SIGKILL)
    assert until(lambda: not Path(f"/proc/{monitor}").exists())
    assert "Exited (137)" in box.ok("ps", "-a", "--filter", "name=orphan")
    assert box.ok("inspect", "-f", "{{.State.Error}}", "orphan") == \
        "the monitor of this container was killed\n"
    assert until(lambda: not Path(f"/proc/{pid}").exists())
    assert _leftovers(box.root, container_id) == []
    assert box.ok("start", "orphan") == "orphan\n"  # nothing left to trip over
    assert _state(box, "orphan") == "running"


def test_restart_policies(box: Hullbox) -> None:
    box.ok("run", "-d", "--name", "flaky", "--restart", "on-failure:3", "busybox",
                 "sh", "-c", "echo run; exit 1")
    # As in Docker, wait returns at the first exit, though a restart follows.
    assert box.ok("wait", "flaky") == "1\n"
    assert until(lambda: box.ok("inspect", "-f", "{{.State.Status}} {{.RestartCount}}",
                                       "flaky") == "exited 3\n")
    assert box.ok("wait", "flaky") == "1\n"
    assert box.ok("inspect", "-f", "{{.HostConfig.RestartPolicy.Name}}", "flaky") == \
        "on-failure\n"
    assert box.ok("logs", "flaky") == "run\n" * 4

    # always: back after its process is killed from the host; stop ends it for good.
    box.ok("run", "-d", "--name", "phoenix", "--restart", "always", "busybox",
                 "sleep", "60")
    pid = int(box.ok("inspect", "-f", "{{.State.Pid}}", "phoenix"))
    os.kill(pid, signal.SIGKILL)
    assert until(lambda: box.ok("inspect", "-f", "{{.State.Status}} {{.RestartCount}}",
                                       "phoenix") == "running 1\n")
    assert int(box.ok("inspect", "-f", "{{.State.Pid}}", "phoenix")) != pid
    assert box.ok("stop", "-t", "0", "phoenix") == "phoenix\n"
    time.sleep(0.5)  # a restart, were there one, would come within the backoff
    assert _state(box, "phoenix") == "exited"

    conflict = box("run", "-d", "--rm", "--restart", "always", "busybox", "true")
    assert conflict.returncode == 125
    assert conflict.stderr == "hullbox: conflicting options: --restart and --rm; use one of them\n"


def test_a_container_in_a_restart_loop_counts_as_running(box: Hullbox) -> None:
    box.ok("run", "-d", "--name", "looping", "--restart", "always", "busybox",
                 "sh", "-c", "exit 1")
    assert until(lambda: int(box.ok("inspect", "-f", "{{.RestartCount}}",
                                           "looping")) >= 2)
    # Waiting out its backoff, it counts as running, as in Docker's inspect.
    assert until(lambda: box.ok(
        "inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.Restarting}}",
        "looping") == "restarting true true\n")
    # Running or waiting out its backoff: either way ps lists it and rm refuses it.
    assert "looping" in box.ok("ps")
    refused = box("rm", "looping")
    assert refused.returncode == 125
    assert "it is running" in refused.stderr
    assert box.ok("rm", "-f", "looping") == "looping\n"
    assert box("inspect", "looping").returncode == 1


def test_stop_of_a_container_that_is_gone(box: Hullbox) -> None:
    box.ok("run", "-d", "--name", "brief", "busybox", "sleep", "60")
    pid = int(box.ok("inspect", "-f", "{{.State.Pid}}", "brief"))
    os.kill(pid, signal.SIGKILL)  # its process is gone, from outside hullbox
    assert until(lambda: _state(box, "brief") == "exited")
    assert box.ok("stop", "brief") == "brief\n"  # nothing to stop: not an error
    assert box.ok("wait", "brief") == "137\n"
    box.ok("rm", "brief")
    for verb in ("stop", "kill", "restart", "wait", "rm"):
        gone = box(verb, "brief")
        assert (gone.returncode, gone.stdout) == (125, ""), verb
        assert gone.stderr == "hullbox: no such container: brief\n", verb
