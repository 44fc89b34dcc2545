"""Docker's flags of the container verbs, as a user types them: ps -n/-l/-s,
inspect -s, logs --details, stop/restart -s/-t (and --time), commit --pause,
cp -q, version --format, rm --link; and the group aliases."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from .conftest import Hullbox
from .terminal import terminal

pytestmark = pytest.mark.root


def test_ps_last_latest_and_size(hullbox: Hullbox, name: str) -> None:
    hullbox.ok("run", "--name", f"{name}-a", "busybox", "sh", "-c", "head -c 5000 /dev/zero > /f")
    time.sleep(0.01)
    hullbox.ok("create", "--name", f"{name}-b", "busybox", "true")
    # -l and -n show stopped ones too, newest first
    assert hullbox.ok("ps", "-l", "--format", "{{.Names}}") == f"{name}-b\n"
    assert hullbox.ok("ps", "--last", "2", "--format", "{{.Names}}") == f"{name}-b\n{name}-a\n"
    assert hullbox.ok("ps", "-n", "0", "-q") == ""
    table = hullbox.ok("ps", "-a", "-s", "--filter", f"name={name}-a").splitlines()
    assert table[0].split()[-1] == "SIZE"
    image_size = int(hullbox.ok("image", "inspect", "-f", "{{.Size}}", "busybox"))
    from hullbox.engine.units import human_size

    assert table[1].endswith(f"5kB (virtual {human_size(5000 + image_size)})")
    # --format .Size works without -s, as in docker
    assert hullbox.ok("ps", "-a", "--filter", f"name={name}-a", "--format", "{{.Size}}") == \
        f"5kB (virtual {human_size(5000 + image_size)})\n"
    assert "SIZE" not in hullbox.ok("ps", "-a")


def test_inspect_size(hullbox: Hullbox, name: str) -> None:
    hullbox.ok("run", "--name", name, "busybox", "sh", "-c", "head -c 3000 /dev/zero > /f")
    image_size = int(hullbox.ok("image", "inspect", "-f", "{{.Size}}", "busybox"))
    assert hullbox.ok("inspect", "-s", "-f", "{{.SizeRw}} {{.SizeRootFs}}", name) == \
        f"3000 {3000 + image_size}\n"
    data = json.loads(hullbox.ok("container", "inspect", "--size", name))[0]
    assert (data["SizeRw"], data["SizeRootFs"]) == (3000, 3000 + image_size)
    assert "SizeRw" not in json.loads(hullbox.ok("inspect", name))[0]


def test_logs_details(hullbox: Hullbox, name: str) -> None:
    hullbox.ok("run", "--name", name, "--label", "team=blue", "--label", "other=x",
               "-e", "WHERE=here and there", "--log-opt", "labels=team",
               "--log-opt", "env=WHERE", "busybox", "echo", "hi")
    assert hullbox.ok("logs", "--details", name) == "WHERE=here+and+there,team=blue hi\n"
    assert hullbox.ok("logs", name) == "hi\n"
    stamped = hullbox.ok("logs", "--details", "-t", name)
    assert stamped.endswith("Z WHERE=here+and+there,team=blue hi\n")
    hullbox.ok("run", "--name", f"{name}-plain", "busybox", "echo", "hi")
    assert hullbox.ok("logs", "--details", f"{name}-plain") == " hi\n"  # docker's lone space


TRAP = "trap 'echo got-USR2; exit 9' USR2; trap 'echo got-TERM; exit 3' TERM; " \
       "while :; do sleep 0.1; done"


def test_stop_and_restart_signal_and_timeout(hullbox: Hullbox, name: str) -> None:
    hullbox.ok("run", "-d", "--name", name, "busybox", "sh", "-c", TRAP)
    time.sleep(0.5)
    assert hullbox.ok("stop", "-s", "USR2", name) == f"{name}\n"
    assert hullbox.ok("inspect", "-f", "{{.State.ExitCode}}", name) == "9\n"
    assert hullbox.ok("logs", name) == "got-USR2\n"

    hullbox.ok("start", name)
    time.sleep(0.5)
    assert hullbox.ok("restart", "--signal", "SIGUSR2", "--timeout", "5", name) == f"{name}\n"
    assert hullbox.ok("inspect", "-f", "{{.State.Status}}", name) == "running\n"
    assert hullbox.ok("logs", name) == "got-USR2\ngot-USR2\n"

    # a signal it ignores: killed when -t (or --time, docker's old spelling) runs out
    for flag in ("-t", "--time", "--timeout"):
        hullbox.ok("start", name)
        time.sleep(0.5)
        started = time.monotonic()
        hullbox.ok("stop", "--signal", "WINCH", flag, "1", name)
        assert time.monotonic() - started < 8
        assert hullbox.ok("inspect", "-f", "{{.State.ExitCode}}", name) == "137\n"

    bad = hullbox("stop", "-s", "NOPE", name)
    assert (bad.returncode, bad.stdout) == (125, "")
    assert bad.stderr == "hullbox: invalid signal 'NOPE': use a name (TERM, SIGHUP) or a " \
                         "number (15)\n"
    bad = hullbox("restart", "-t", "soon", name)
    assert bad.returncode == 125 and len(bad.stderr.splitlines()) == 2  # click: usage + hint
    assert "'soon' is not a valid float" in bad.stderr


def test_commit_pause_freezes_the_container(hullbox: Hullbox, name: str) -> None:
    hullbox.ok("run", "-d", "--name", name, "busybox", "sh", "-c",
               "i=0; while :; do i=$((i+1)); echo $i > /t; mv /t /tick; sleep 0.01; done")
    time.sleep(0.5)
    since = str(time.time())
    image = f"{name}-img:1"
    hullbox.ok("commit", name, image)
    hullbox.ok("commit", "--pause=false", name, f"{name}-img:2")
    actions = hullbox.ok("events", "--since", since, "--until", "0s", "--filter",
                         f"container={name}", "--format", "{{.Action}}").split()
    assert actions == ["pause", "unpause", "commit", "commit"]  # --pause=false: no freeze
    # the container runs on after both, never left frozen
    assert hullbox.ok("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", name) == \
        "running false\n"
    # frozen, the loop cannot be between its write and its rename: /tick is whole
    assert hullbox.ok("run", "--rm", image, "cat", "/tick").strip().isdigit()
    assert hullbox.ok("run", "--rm", f"{name}-img:2", "true") == ""
    hullbox.ok("rmi", image, f"{name}-img:2")
    bad = hullbox("commit", "--pause=maybe", name)
    assert bad.returncode == 125 and "'maybe' is not a valid boolean" in bad.stderr


def test_cp_reports_on_a_terminal_unless_quiet(hullbox: Hullbox, name: str,
                                               tmp_path: Path) -> None:
    hullbox.ok("run", "--name", name, "busybox", "sh", "-c", "echo hello > /greeting")
    # not a terminal: nothing on stderr, as docker cp
    result = hullbox("cp", f"{name}:/greeting", str(tmp_path / "a"))
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    with terminal(hullbox, "cp", f"{name}:/greeting", str(tmp_path / "b")) as term:
        shown = term.read_until(b"\n")
        assert term.exit_code() == 0
    # a 6-byte file is a 2048-byte tar: docker prints 2.05kB
    assert shown.decode().strip() == f"Successfully copied 2.05kB to {tmp_path / 'b'}"
    with terminal(hullbox, "cp", "-q", str(tmp_path / "b"), f"{name}:/copied") as term:
        shown = term.read_until(b"\n", timeout=5)
        assert term.exit_code() == 0
    assert shown == b""
    assert "hello\n" in hullbox.ok("cp", f"{name}:/copied", "-")


def test_version(hullbox: Hullbox) -> None:
    from hullbox import __version__

    text = hullbox.ok("version")
    assert text.startswith(f"Client:\n Version:           {__version__}\n")
    assert "\nServer: hullbox (daemonless)\n Engine:\n" in text
    assert hullbox.ok("version", "--format", "{{.Server.Version}}") == f"{__version__}\n"
    assert hullbox.ok("version", "-f", "{{.Client.Os}}/{{.Client.Arch}}").startswith("linux/")
    facts = json.loads(hullbox.ok("version", "--format", "json"))
    assert facts["Client"]["Version"] == facts["Server"]["Version"] == __version__


def test_rm_link_is_refused_in_one_line(hullbox: Hullbox, name: str) -> None:
    hullbox.ok("create", "--name", name, "busybox", "true")
    result = hullbox("rm", "--link", name)
    assert result.returncode == 125 and result.stdout == ""
    assert result.stderr.startswith("hullbox: rm --link: hullbox keeps no legacy links")
    assert len(result.stderr.splitlines()) == 1
    assert hullbox.ok("ps", "-a", "--filter", f"name={name}", "--format", "{{.Names}}") == \
        f"{name}\n"
