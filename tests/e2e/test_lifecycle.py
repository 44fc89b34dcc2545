"""Detached containers and their monitor, as a user types the commands:
run -d, ps, logs, stop, kill, wait, start, restart, rm -f (issue 3)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root

TICKER = ["sh", "-c", "while :; do echo tick; echo tock >&2; sleep 0.2; done"]


@pytest.fixture
def lifecycle(hullbox: Hullbox) -> Iterator[Hullbox]:
    """The store, emptied of containers after the test (other modules expect none)."""
    yield hullbox
    for container in hullbox("ps", "-aq", "--no-trunc").stdout.split():
        hullbox("rm", "-f", container)


def _until(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


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


def test_run_detached_prints_the_id_and_ps_shows_it_up(lifecycle: Hullbox) -> None:
    started = time.monotonic()
    container_id = lifecycle.ok("run", "-d", "--name", "web", "busybox", *TICKER).strip()
    assert time.monotonic() - started < 10
    assert len(container_id) == 64 and int(container_id, 16) >= 0
    lifecycle.ok("create", "--name", "idle", "busybox", "true")
    assert lifecycle("run", "--name", "done", "busybox", "sh", "-c", "exit 2").returncode == 2

    table = lifecycle.ok("ps").splitlines()
    assert len(table) == 2
    assert table[1].startswith(container_id[:12])
    assert "Up " in table[1] and table[1].endswith("web")
    assert lifecycle.ok("inspect", "-f", "{{.State.Status}} {{.State.Running}}", "web") == \
        "running true\n"

    assert len(lifecycle.ok("ps", "-a", "-q").split()) == 3
    assert lifecycle.ok("ps", "--filter", "status=running", "--format", "{{.Names}}") == "web\n"
    assert lifecycle.ok("ps", "--filter", "status=exited", "--format", "{{.Names}}") == "done\n"
    assert lifecycle.ok("ps", "--filter", "status=created", "--format", "{{.Names}}") == "idle\n"
    assert lifecycle.ok("ps", "-a", "--filter", "name=web", "-q") == container_id[:12] + "\n"
    assert lifecycle.ok("ps", "--format", "{{.ID}} {{.Names}}") == f"{container_id[:12]} web\n"
    row = json.loads(lifecycle.ok("ps", "--format", "json"))
    assert (row["ID"], row["Names"], row["State"]) == (container_id[:12], "web", "running")
    table = lifecycle.ok("ps", "--format", "table {{.ID}}\t{{.Names}}").splitlines()
    assert table == ["CONTAINER ID   NAMES", f"{container_id[:12]}   web"]
    assert row["Status"].startswith("Up ")

    bad = lifecycle("ps", "--filter", "colour=red")
    assert bad.returncode == 125 and bad.stderr.startswith("hullbox: invalid filter 'colour'")


def test_run_detached_reports_start_failures(lifecycle: Hullbox) -> None:
    missing = lifecycle("run", "-d", "busybox", "nosuchcmd")
    assert missing.returncode == 127
    assert missing.stdout == ""
    assert missing.stderr == 'hullbox: exec "nosuchcmd": executable file not found in $PATH\n'
    no_image = lifecycle("run", "-d", "nosuchimage")
    assert no_image.returncode == 125
    assert "not found locally" in no_image.stderr and len(no_image.stderr.splitlines()) == 1
    removed = lifecycle("run", "-d", "--rm", "busybox", "nosuchcmd")
    assert removed.returncode == 127
    # Only the first one is left, exited 127 as Docker leaves it; no monitor lingers.
    assert lifecycle.ok("ps", "-a", "--format", "{{.Status}}").startswith("Exited (127)")
    assert len(lifecycle.ok("ps", "-aq").split()) == 1
    assert _until(lambda: _monitor_pids(lifecycle.root) == [])


def test_the_monitor_outlives_the_command_that_started_it(lifecycle: Hullbox) -> None:
    lifecycle.ok("run", "-d", "--name", "short", "busybox", "sh", "-c", "sleep 1; exit 5")
    # The `hullbox run -d` process is long gone; the monitor records the end.
    assert lifecycle.ok("wait", "short") == "5\n"
    info = json.loads(lifecycle.ok("inspect", "short"))[0]
    assert info["State"]["Status"] == "exited"
    assert info["State"]["ExitCode"] == 5
    assert info["State"]["FinishedAt"] > info["State"]["StartedAt"]


def test_monitor_is_the_parent_and_stays_small(lifecycle: Hullbox) -> None:
    lifecycle.ok("run", "-d", "--name", "idle", "busybox", "sleep", "60")
    pid = int(lifecycle.ok("inspect", "-f", "{{.State.Pid}}", "idle"))
    parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    cmdline = Path(f"/proc/{parent}/cmdline").read_bytes().split(b"\0")
    assert b"hullbox.engine.monitor" in cmdline
    assert Path(f"/proc/{parent}/fd/0").resolve() == Path("/dev/null")
    status = Path(f"/proc/{parent}/status").read_text()
    rss_kb = int(status.split("VmRSS:")[1].split()[0])
    assert rss_kb < 40_000, f"monitor RSS {rss_kb} kB"  # a guard, not the tracked figure


def test_logs_keep_streams_apart_with_tail_timestamps_and_since(lifecycle: Hullbox) -> None:
    lifecycle.ok("run", "-d", "--name", "talk", "busybox", "sh", "-c",
                 "echo one; echo err1 >&2; echo two; sleep 3; echo three; sleep 60")
    assert _until(lambda: "three" in lifecycle.ok("logs", "talk"))
    # "three" came 3 s after the others and a moment ago: only it is in the last 2 s.
    assert lifecycle.ok("logs", "--since", "2s", "talk") == "three\n"
    result = lifecycle("logs", "talk")
    assert (result.stdout, result.stderr) == ("one\ntwo\nthree\n", "err1\n")
    assert lifecycle.ok("logs", "--tail", "1", "talk") == "three\n"
    assert lifecycle.ok("logs", "--tail", "0", "talk") == ""
    stamped = lifecycle.ok("logs", "-t", "talk").splitlines()
    assert [line.split(" ", 1)[1] for line in stamped] == ["one", "two", "three"]
    assert all(len(line.split(" ")[0]) == 30 and line.split(" ")[0].endswith("Z")
               for line in stamped)
    # --since the time of "two" keeps "two", as Docker does.
    assert lifecycle.ok("logs", "--since", stamped[1].split(" ")[0], "talk") == "two\nthree\n"
    assert lifecycle.ok("logs", "--until", stamped[1].split(" ")[0], "talk") == "one\ntwo\n"
    assert lifecycle.ok("logs", "--since", "10m", "talk") == "one\ntwo\nthree\n"
    bad = lifecycle("logs", "--since", "yesterday", "talk")
    assert bad.returncode == 125 and bad.stderr.startswith("hullbox: invalid --since")
    missing = lifecycle("logs", "nope")
    assert (missing.returncode, missing.stderr) == (125, "hullbox: no such container: nope\n")


def test_logs_follow_until_the_container_exits(lifecycle: Hullbox) -> None:
    lifecycle.ok("run", "-d", "--name", "count", "busybox", "sh", "-c",
                 "for i in 1 2 3; do echo line$i; sleep 0.5; done; echo bye >&2; exit 3")
    follower = subprocess.Popen([*hullbox_command(), "logs", "-f", "count"],
                                env=lifecycle.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    out, err = follower.communicate(timeout=20)
    assert follower.returncode == 0
    assert (out, err) == (b"line1\nline2\nline3\n", b"bye\n")
    assert lifecycle.ok("inspect", "-f", "{{.State.ExitCode}}", "count") == "3\n"


def test_stop_kill_wait_start_restart(lifecycle: Hullbox) -> None:
    container_id = lifecycle.ok("run", "-d", "--name", "web", "busybox", *TICKER).strip()
    first_pid = lifecycle.ok("inspect", "-f", "{{.State.Pid}}", "web")

    # sh as PID 1 ignores SIGTERM: stop waits -t seconds, then SIGKILL.
    started = time.monotonic()
    assert lifecycle.ok("stop", "-t", "1", "web") == "web\n"
    assert 1 <= time.monotonic() - started < 10
    assert _state(lifecycle, "web") == "exited"
    assert lifecycle.ok("wait", "web") == "137\n"
    assert "Exited (137)" in lifecycle.ok("ps", "-a", "--filter", "name=web")
    assert lifecycle.ok("stop", "web") == "web\n"  # already stopped: nothing to do

    assert lifecycle.ok("start", "web") == "web\n"
    assert _state(lifecycle, "web") == "running"
    assert lifecycle.ok("inspect", "-f", "{{.State.Pid}}", "web") != first_pid
    assert lifecycle.ok("start", "web") == "web\n"  # already running: nothing to do

    pid = lifecycle.ok("inspect", "-f", "{{.State.Pid}}", "web")
    assert lifecycle.ok("restart", "-t", "0", "web") == "web\n"
    assert _state(lifecycle, "web") == "running"
    assert lifecycle.ok("inspect", "-f", "{{.State.Pid}}", "web") != pid

    # A trap shows the signal arrived; then the default SIGKILL ends it.
    lifecycle.ok("run", "-d", "--name", "trap", "busybox", "sh", "-c",
                 "trap 'echo got-hup' HUP; while :; do sleep 0.1; done")
    assert lifecycle.ok("kill", "-s", "HUP", "trap") == "trap\n"
    assert _until(lambda: "got-hup" in lifecycle.ok("logs", "trap"))
    assert _state(lifecycle, "trap") == "running"
    assert lifecycle.ok("kill", "trap", "web") == "trap\nweb\n"
    assert lifecycle.ok("wait", "trap", "web") == "137\n137\n"
    assert lifecycle.ok("ps", "-q") == ""
    assert _leftovers(lifecycle.root, container_id) == []


def test_lifecycle_errors_are_one_line(lifecycle: Hullbox) -> None:
    lifecycle.ok("create", "--name", "idle", "busybox", "true")
    stop = lifecycle("stop", "nope", "idle")
    assert (stop.returncode, stop.stdout) == (1, "idle\n")
    assert stop.stderr == "hullbox: no such container: nope\n"
    kill = lifecycle("kill", "idle")
    assert kill.returncode == 125
    assert kill.stderr == "hullbox: cannot kill container idle: it is not running\n"
    bad_signal = lifecycle("kill", "-s", "NOPE", "idle")
    assert bad_signal.returncode == 125
    assert bad_signal.stderr.startswith("hullbox: invalid signal 'NOPE'")
    wait = lifecycle("wait", "nope")
    assert (wait.returncode, wait.stderr) == (125, "hullbox: no such container: nope\n")
    # only some failed: the others went ahead, and the exit is 1
    assert lifecycle("rm", "nope", "idle").returncode == 1
    policy = lifecycle("run", "-d", "--restart", "sometimes", "busybox", "true")
    assert policy.returncode == 125 and "invalid restart policy" in policy.stderr
    assert lifecycle.ok("ps", "-aq").split() == lifecycle.ok("ps", "-aq", "-f",
                                                             "name=idle").split()


def test_rm_force_kills_and_the_monitor_cleans_up(lifecycle: Hullbox) -> None:
    container_id = lifecycle.ok("run", "-d", "--name", "doomed", "busybox", *TICKER).strip()
    assert _leftovers(lifecycle.root, container_id) != []  # the rootfs is mounted
    refused = lifecycle("rm", "doomed")
    assert refused.returncode == 125 and "it is running" in refused.stderr
    assert lifecycle.ok("rm", "-f", "doomed") == "doomed\n"
    assert lifecycle("inspect", "doomed").returncode == 1
    assert _leftovers(lifecycle.root, container_id) == []
    assert not (lifecycle.root / "containers" / container_id).exists()
    assert not Path(f"/run/hullbox/runtime/{container_id}").exists()
    assert _until(lambda: _monitor_pids(lifecycle.root) == [])


def test_a_killed_monitor_is_noticed_and_cleaned_up(lifecycle: Hullbox) -> None:
    container_id = lifecycle.ok("run", "-d", "--name", "orphan", "busybox", "sleep", "60")
    container_id = container_id.strip()
    pid = int(lifecycle.ok("inspect", "-f", "{{.State.Pid}}", "orphan"))
    monitor = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    os.kill(monitor, signal.SIGKILL)
    assert _until(lambda: not Path(f"/proc/{monitor}").exists())
    assert "Exited (137)" in lifecycle.ok("ps", "-a", "--filter", "name=orphan")
    assert lifecycle.ok("inspect", "-f", "{{.State.Error}}", "orphan") == \
        "the monitor of this container was killed\n"
    assert _until(lambda: not Path(f"/proc/{pid}").exists())
    assert _leftovers(lifecycle.root, container_id) == []
    assert lifecycle.ok("start", "orphan") == "orphan\n"  # nothing left to trip over
    assert _state(lifecycle, "orphan") == "running"


def test_restart_policies(lifecycle: Hullbox) -> None:
    lifecycle.ok("run", "-d", "--name", "flaky", "--restart", "on-failure:3", "busybox",
                 "sh", "-c", "echo run; exit 1")
    # As in Docker, wait returns at the first exit, though a restart follows.
    assert lifecycle.ok("wait", "flaky") == "1\n"
    assert _until(lambda: lifecycle.ok("inspect", "-f", "{{.State.Status}} {{.RestartCount}}",
                                       "flaky") == "exited 3\n")
    assert lifecycle.ok("wait", "flaky") == "1\n"
    assert lifecycle.ok("inspect", "-f", "{{.HostConfig.RestartPolicy.Name}}", "flaky") == \
        "on-failure\n"
    assert lifecycle.ok("logs", "flaky") == "run\n" * 4

    # always: back after its process is killed from the host; stop ends it for good.
    lifecycle.ok("run", "-d", "--name", "phoenix", "--restart", "always", "busybox",
                 "sleep", "60")
    pid = int(lifecycle.ok("inspect", "-f", "{{.State.Pid}}", "phoenix"))
    os.kill(pid, signal.SIGKILL)
    assert _until(lambda: lifecycle.ok("inspect", "-f", "{{.State.Status}} {{.RestartCount}}",
                                       "phoenix") == "running 1\n")
    assert int(lifecycle.ok("inspect", "-f", "{{.State.Pid}}", "phoenix")) != pid
    assert lifecycle.ok("stop", "-t", "0", "phoenix") == "phoenix\n"
    time.sleep(0.5)  # a restart, were there one, would come within the backoff
    assert _state(lifecycle, "phoenix") == "exited"

    conflict = lifecycle("run", "-d", "--rm", "--restart", "always", "busybox", "true")
    assert conflict.returncode == 125
    assert conflict.stderr == "hullbox: conflicting options: --restart and --rm; use one of them\n"


def test_a_container_in_a_restart_loop_counts_as_running(lifecycle: Hullbox) -> None:
    lifecycle.ok("run", "-d", "--name", "looping", "--restart", "always", "busybox",
                 "sh", "-c", "exit 1")
    assert _until(lambda: int(lifecycle.ok("inspect", "-f", "{{.RestartCount}}",
                                           "looping")) >= 2)
    # Waiting out its backoff, it counts as running, as in Docker's inspect.
    assert _until(lambda: lifecycle.ok(
        "inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.Restarting}}",
        "looping") == "restarting true true\n")
    # Running or waiting out its backoff: either way ps lists it and rm refuses it.
    assert "looping" in lifecycle.ok("ps")
    refused = lifecycle("rm", "looping")
    assert refused.returncode == 125
    assert "it is running" in refused.stderr
    assert lifecycle.ok("rm", "-f", "looping") == "looping\n"
    assert lifecycle("inspect", "looping").returncode == 1


def test_stop_of_a_container_that_is_gone(lifecycle: Hullbox) -> None:
    lifecycle.ok("run", "-d", "--name", "brief", "busybox", "sleep", "60")
    pid = int(lifecycle.ok("inspect", "-f", "{{.State.Pid}}", "brief"))
    os.kill(pid, signal.SIGKILL)  # its process is gone, from outside hullbox
    assert _until(lambda: _state(lifecycle, "brief") == "exited")
    assert lifecycle.ok("stop", "brief") == "brief\n"  # nothing to stop: not an error
    assert lifecycle.ok("wait", "brief") == "137\n"
    lifecycle.ok("rm", "brief")
    for verb in ("stop", "kill", "restart", "wait", "rm"):
        gone = lifecycle(verb, "brief")
        assert (gone.returncode, gone.stdout) == (125, ""), verb
        assert gone.stderr == "hullbox: no such container: brief\n", verb
