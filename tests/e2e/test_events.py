"""``hullbox events`` as a user types it: the journal every operation appends
to, read back with --since/--until, followed live, filtered and formatted as
``docker events`` does."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command
from .registry_helpers import running_registry

pytestmark = pytest.mark.root

# 2026-11-22T09:00:00.000000000Z container start ID (image=busybox, name=x)
LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) (\w+) (.+?) "
                  r"([^\s(]+)(?: \((.*)\))?$")


def _past(hullbox: Hullbox, *args: str) -> list[str]:
    return hullbox.ok("events", "--since", "5m", "--until", "0s", *args).splitlines()


def _actions(lines: list[str]) -> list[str]:
    found = []
    for line in lines:
        match = LINE.match(line)
        assert match, f"not a docker events line: {line!r}"
        found.append(match.group(3))
    return found


def test_a_run_records_create_start_die_destroy(hullbox: Hullbox, name: str) -> None:
    container_id = hullbox.ok("create", "--name", name, "--label", "team=blue", "busybox",
                              "sh", "-c", "exit 3").strip()
    hullbox("start", "-a", name)
    hullbox.ok("rm", name)
    lines = _past(hullbox, "--filter", f"container={name}")
    assert _actions(lines) == ["create", "start", "die", "destroy"]
    die = LINE.match(lines[2])
    assert die is not None
    assert die.group(2) == "container" and die.group(4) == container_id
    assert die.group(5) == f"exitCode=3, image=busybox, name={name}, team=blue"
    # the same container by ID prefix, and by label
    assert _actions(_past(hullbox, "--filter", f"container={container_id[:12]}")) == \
        ["create", "start", "die", "destroy"]
    assert len(_past(hullbox, "--filter", f"container={name}", "--filter", "label=team=blue")) == 4
    assert _past(hullbox, "--filter", f"container={name}", "--filter", "label=team=red") == []


def test_a_detached_container_under_its_monitor(hullbox: Hullbox, name: str) -> None:
    hullbox.ok("run", "-d", "--name", name, "busybox", "sleep", "60")
    assert hullbox("exec", name, "sh", "-c", "exit 4").returncode == 4
    hullbox.ok("pause", name)
    hullbox.ok("unpause", name)
    hullbox.ok("rename", name, f"{name}-b")
    hullbox.ok("kill", "-s", "USR1", f"{name}-b")
    hullbox.ok("restart", "-t", "1", f"{name}-b")
    hullbox.ok("stop", "-t", "1", f"{name}-b")
    lines = _past(hullbox, "--filter", f"container={name}")
    assert _actions(lines) == [
        "create", "start", "exec_create: sh -c exit 4", "exec_start: sh -c exit 4",
        "exec_die", "pause", "unpause", "rename", "kill",
        # restart: stop (TERM; sleep ignores it as PID 1, so KILL), then start
        "kill", "kill", "die", "stop", "start", "restart",
        "kill", "kill", "die", "stop",
    ]
    attrs = [LINE.match(line).group(5) for line in lines]  # type: ignore[union-attr]
    assert "exitCode=4" in attrs[4]
    assert f"oldName=/{name}" in attrs[7] and f"name={name}-b" in attrs[7]
    assert "signal=10" in attrs[8] and "signal=15" in attrs[9] and "signal=9" in attrs[10]
    assert "exitCode=137" in attrs[11]
    # Docker's exec filter: exec_start matches "exec_start: CMD"
    assert _actions(_past(hullbox, "--filter", f"container={name}",
                          "--filter", "event=exec_start")) == ["exec_start: sh -c exit 4"]
    assert _actions(_past(hullbox, "--filter", f"container={name}", "--filter", "event=die",
                          "--filter", "event=start")) == ["start", "die", "start", "die"]


def test_events_streams_new_ones_until_ctrl_c(hullbox: Hullbox, name: str) -> None:
    follower = subprocess.Popen(
        [*hullbox_command(), "events", "--filter", f"container={name}",
         "--format", "{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Status}}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=hullbox.env(), text=True)
    try:
        time.sleep(1.5)  # it reads the journal's end before anything happens
        hullbox.ok("run", "--rm", "--name", name, "busybox", "true")
        seen = []
        assert follower.stdout is not None
        deadline = time.monotonic() + 30
        while len(seen) < 4 and time.monotonic() < deadline:
            seen.append(follower.stdout.readline().strip())
        assert seen == [f"container {action} {name} {action}"
                        for action in ("create", "start", "die", "destroy")]
        assert follower.poll() is None  # still following
    finally:
        follower.send_signal(signal.SIGINT)
        follower.wait(timeout=10)
    assert follower.returncode == 130


def test_until_in_the_future_stops_by_itself(hullbox: Hullbox, name: str) -> None:
    started = time.monotonic()
    result = hullbox("events", "--until", str(time.time() + 2),
                     "--filter", f"container={name}", timeout=30)
    assert result.returncode == 0 and result.stdout == ""
    assert time.monotonic() - started >= 1.5


def test_json_format_is_dockers_message(hullbox: Hullbox, name: str) -> None:
    hullbox.ok("create", "--name", name, "busybox", "true")
    for fmt in ("{{json .}}", "json"):
        lines = _past(hullbox, "--filter", f"container={name}", "--format", fmt)
        assert len(lines) == 1
        message = json.loads(lines[0])
        assert message["Type"] == "container" and message["Action"] == "create"
        assert message["status"] == "create" and message["from"] == "busybox"
        assert message["Actor"]["Attributes"] == {"image": "busybox", "name": name}
        assert message["scope"] == "local"
        assert message["time"] == message["timeNano"] // 10**9
        assert abs(message["time"] - time.time()) < 300


def test_image_network_and_volume_events(hullbox: Hullbox, name: str,
                                         tmp_path: Path) -> None:
    image_id = hullbox.ok("inspect", "-f", "{{.Id}}", "busybox").strip()
    hullbox.ok("tag", "busybox", f"{name}:v1")
    hullbox.ok("save", "-o", str(tmp_path / "img.tar"), f"{name}:v1")
    hullbox.ok("rmi", f"{name}:v1")
    images = _past(hullbox, "--filter", "type=image", "--filter", f"image={name}:v1")
    assert _actions(images) == ["tag"]
    assert images[0].endswith(f"image tag {image_id} (name={name}:v1)")
    mine = [line for line in _past(hullbox, "--filter", "type=image")
            if image_id in line][-3:]
    assert _actions(mine) == ["tag", "save", "untag"]

    hullbox.ok("network", "create", name)
    hullbox.ok("volume", "create", name)
    hullbox.ok("run", "--rm", "--network", name, "-v", f"{name}:/data", "busybox", "true")
    hullbox.ok("network", "rm", name)
    hullbox.ok("volume", "rm", name)
    assert _actions(_past(hullbox, "--filter", f"network={name}")) == \
        ["create", "connect", "disconnect", "destroy"]
    volume = _past(hullbox, "--filter", f"volume={name}")
    assert _actions(volume) == ["create", "mount", "destroy"]
    assert "destination=/data" in volume[1] and "read/write=true" in volume[1]
    assert _actions(_past(hullbox, "--filter", f"volume={name}", "--filter", "type=network")) \
        == []


@pytest.mark.parametrize(("args", "wanted"), [
    (["--filter", "colour=red"], "invalid filter 'colour'"),
    (["--filter", "type=box"], "invalid filter 'type=box'"),
    (["--filter", "nonsense"], "bad format of filter 'nonsense'"),
    (["--since", "yesterday"], "invalid --since 'yesterday'"),
    (["--until", "10 minutes"], "invalid --until '10 minutes'"),
    (["--format", "table {{.ID}}"], "--format table is not supported by events"),
])
def test_bad_input_is_one_line_and_exit_125(hullbox: Hullbox, args: list[str],
                                           wanted: str) -> None:
    result = hullbox("events", "--since", "1s", "--until", "0s", *args)
    assert result.returncode == 125, result
    assert len(result.stderr.splitlines()) == 1 and wanted in result.stderr, result.stderr
    assert result.stdout == ""


def test_system_events_is_the_same_command(hullbox: Hullbox, name: str) -> None:
    hullbox.ok("create", "--name", name, "busybox", "true")
    assert hullbox.ok("system", "events", "--since", "5m", "--until", "0s", "--filter",
                      f"container={name}", "--format", "{{.Action}}") == "create\n"
    assert os.path.exists(hullbox.root / "events.log")


def test_health_status_changes_are_events(hullbox: Hullbox, name: str) -> None:
    hullbox.ok("run", "-d", "--name", name, "--health-cmd", "test -f /tmp/ok",
               "--health-interval", "1s", "--health-retries", "1", "busybox", "sh", "-c",
               "touch /tmp/ok; sleep 3; rm /tmp/ok; sleep 60")
    wanted = ["health_status: healthy", "health_status: unhealthy"]
    deadline = time.monotonic() + 40
    seen: list[str] = []
    while seen != wanted and time.monotonic() < deadline:
        time.sleep(0.5)
        seen = _actions(_past(hullbox, "--filter", f"container={name}",
                              "--filter", "event=health_status"))
    assert seen == wanted  # once each: a status that stays is no new event


def test_push_pull_load_and_import_events(hullbox: Hullbox, name: str, tmp_path: Path,
                                          busybox_tar: Path) -> None:
    image_id = hullbox.ok("inspect", "-f", "{{.Id}}", "busybox").strip()
    (tmp_path / "registry").mkdir()
    with running_registry(tmp_path / "registry") as registry:
        ref = f"{registry.host}/{name}/bb:1"
        hullbox.ok("tag", "busybox", ref)
        hullbox.ok("push", ref)
        hullbox.ok("rmi", ref)
        hullbox.ok("pull", ref)
        hullbox.ok("rmi", ref)
    hullbox.ok("save", "-o", str(tmp_path / "bb.tar"), "busybox")
    hullbox.ok("load", "-i", str(tmp_path / "bb.tar"))
    since = (time.time() - 120)
    rfc3339 = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(since))  # docker's date form
    lines = _past_from(hullbox, rfc3339, "--filter", f"image={ref}")
    assert [line.split(" ", 3)[2] for line in lines] == ["tag", "push", "pull"]
    assert lines[1].endswith(f"image push {ref} (name={registry.host}/{name}/bb)")
    assert lines[2].endswith(f"image pull {ref} (name={registry.host}/{name}/bb)")
    mine = [line for line in _past_from(hullbox, rfc3339, "--filter", "type=image")
            if image_id in line][-2:]
    assert [line.split(" ", 3)[2] for line in mine] == ["save", "load"]
    imported = hullbox.ok("import", str(busybox_tar), f"{name}-imp:1").strip()
    lines = _past_from(hullbox, rfc3339, "--filter", "event=import")
    assert lines[-1].endswith(f"image import {imported} (name={imported})")
    hullbox.ok("rmi", f"{name}-imp:1")


def _past_from(hullbox: Hullbox, since: str, *args: str) -> list[str]:
    return hullbox.ok("events", "--since", since, "--until", "0s", *args).splitlines()
