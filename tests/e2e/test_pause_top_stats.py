"""`pause`/`unpause`, `top` and `stats` as a user types them."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root

COUNTER = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.1; done"]


@pytest.fixture
def counter(hullbox: Hullbox) -> Iterator[str]:
    """A running container printing 1, 2, 3... ten times a second; its id."""
    container_id = hullbox.ok("run", "-d", "--name", "counter", "--memory", "64m",
                              "busybox", *COUNTER).strip()
    yield container_id
    hullbox("rm", "-f", "counter")


def _last(hullbox: Hullbox) -> int:
    lines = hullbox.ok("logs", "--tail", "1", "counter").split()
    return int(lines[-1]) if lines else 0


def _status(hullbox: Hullbox) -> str:
    return hullbox.ok("ps", "-a", "--filter", "name=counter", "--format", "{{.Status}}").strip()


def test_pause_freezes_and_unpause_resumes(hullbox: Hullbox, counter: str) -> None:
    time.sleep(0.5)
    assert hullbox.ok("pause", "counter") == "counter\n"
    frozen_at = _last(hullbox)
    time.sleep(1.0)
    assert _last(hullbox) == frozen_at  # its counter does not advance
    assert _status(hullbox).endswith("(Paused)") and _status(hullbox).startswith("Up ")
    assert hullbox.ok("inspect", "-f", "{{.State.Status}} {{.State.Paused}} {{.State.Running}}",
                      "counter") == "paused true true\n"
    assert hullbox.ok("ps", "-q", "--filter", "status=paused") == counter[:12] + "\n"
    assert hullbox.ok("ps", "-q", "--filter", "status=running") == ""
    again = hullbox("pause", "counter")
    assert again.returncode == 125 and again.stderr == \
        "hullbox: container counter is already paused\n"
    refused = hullbox("exec", "counter", "true")
    assert refused.returncode == 125 and "paused" in refused.stderr

    assert hullbox.ok("unpause", "counter") == "counter\n"
    time.sleep(1.0)
    assert _last(hullbox) > frozen_at + 3  # running again
    assert not _status(hullbox).endswith("(Paused)")
    assert hullbox.ok("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "counter") == \
        "running false\n"
    not_paused = hullbox("unpause", "counter")
    assert not_paused.returncode == 125 and "not paused" in not_paused.stderr


def test_stop_and_kill_of_a_paused_container(hullbox: Hullbox) -> None:
    trapper = ["sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.1; done"]
    hullbox.ok("run", "-d", "--name", "trapper", "busybox", *trapper)
    try:
        hullbox.ok("pause", "trapper")
        hullbox.ok("stop", "-t", "20", "trapper")
        # the SIGTERM was handled (exit 3), not left pending until the SIGKILL
        assert hullbox.ok("inspect", "-f", "{{.State.Status}} {{.State.Paused}} "
                          "{{.State.ExitCode}}", "trapper") == "exited false 3\n"
        hullbox.ok("start", "trapper")
        hullbox.ok("pause", "trapper")
        hullbox.ok("kill", "trapper")
        assert hullbox.ok("wait", "trapper") == "137\n"
        stopped = hullbox("pause", "trapper")
        assert stopped.returncode == 125 and "not running" in stopped.stderr
    finally:
        hullbox("rm", "-f", "trapper")


def test_top_lists_the_container_processes(hullbox: Hullbox, counter: str) -> None:
    hullbox.ok("exec", "-d", "-u", "www-data", "counter", "sleep", "123")
    time.sleep(0.3)
    lines = hullbox.ok("top", "counter").splitlines()
    assert lines[0].split() == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    commands = [line.split(None, 7)[7] for line in lines[1:]]
    assert COUNTER[0] + " " + COUNTER[1] + " " + COUNTER[2] in commands
    assert "sleep 123" in commands
    users = {line.split(None, 7)[7]: line.split()[0] for line in lines[1:]}
    assert users["sleep 123"] in ("www-data", "33")  # the host's name for uid 33, if any
    assert all(line.split()[5] == "?" for line in lines[1:])  # no terminal
    custom = hullbox.ok("top", "counter", "-o", "pid,comm").splitlines()
    assert custom[0].split() == ["PID", "COMMAND"]
    assert {line.split()[1] for line in custom[1:]} <= {"sh", "sleep"}
    assert "sleep" in {line.split()[1] for line in custom[1:]}
    stopped = hullbox("top", "nosuch")
    assert stopped.returncode == 125 and stopped.stderr.count("\n") == 1


def test_stats_no_stream(hullbox: Hullbox, counter: str) -> None:
    hullbox.ok("exec", "-d", "counter", "sh", "-c", "while :; do :; done")  # a busy process
    lines = hullbox.ok("stats", "--no-stream", "counter").splitlines()
    assert re.split(r" {2,}", lines[0]) == ["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT",
                                    "MEM %", "NET I/O", "BLOCK I/O", "PIDS"]
    assert lines[1].startswith(counter[:12])
    row = json.loads(hullbox.ok("stats", "--no-stream", "--format", "json", "counter"))
    assert row["Name"] == "counter" and row["ID"] == counter[:12]
    assert row["MemUsage"].endswith(" / 64MiB")
    assert float(row["CPUPerc"].rstrip("%")) > 20  # the busy loop shows
    assert int(row["PIDs"]) >= 3  # the counter, its sleep, the busy loop
    # on the default bridge: bytes in / out of its eth0, as Docker shows them
    assert re.fullmatch(r"[\d.]+[kMG]?B / [\d.]+[kMG]?B", row["NetIO"]), row["NetIO"]
    assert row["BlockIO"].count(" / ") == 1
    custom = hullbox.ok("stats", "--no-stream", "--format", "{{.Name}}: {{.PIDs}}", "counter")
    assert custom.startswith("counter: ")
    table = hullbox.ok("stats", "--no-stream", "--format", "table {{.Name}}\t{{.MemPerc}}",
                       "counter").splitlines()
    assert table[0].split() == ["NAME", "MEM", "%"] and table[1].startswith("counter")
    hullbox.ok("run", "-d", "--name", "offline", "--network", "none", "busybox", "sleep", "60")
    try:
        row = json.loads(hullbox.ok("stats", "--no-stream", "--format", "json", "offline"))
        assert row["NetIO"] == "--"  # only loopback: no network of its own
    finally:
        hullbox("rm", "-f", "offline")
    unknown = hullbox("stats", "--no-stream", "nosuch")
    assert unknown.returncode == 125


def test_stats_streams_every_second(hullbox: Hullbox, counter: str) -> None:
    # A terminal's Ctrl-C: SIGINT at its default even when pytest itself was
    # started in the background (where the shell leaves SIGINT ignored).
    client = subprocess.Popen([*hullbox_command(), "stats", "counter"], env=hullbox.env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(3.5)
    client.send_signal(signal.SIGINT)  # Ctrl-C ends it, as with docker stats
    out, _ = client.communicate(timeout=10)
    frames = out.decode().split("\033[2J\033[H")[1:]  # each refresh redraws the screen
    assert len(frames) >= 2
    for frame in frames:
        lines = frame.splitlines()
        assert lines[0].startswith("CONTAINER ID") and lines[1].startswith(counter[:12])
