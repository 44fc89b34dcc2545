"""`hullbox run` and the container verbs of the foundation, as a user types them."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root


def _mounts_under(root: Path) -> list[str]:
    with open("/proc/self/mountinfo") as info:
        return [line.split()[4] for line in info if line.split()[4].startswith(str(root))]


def _hullbox_cgroups(id_prefix: str) -> list[Path]:
    """Cgroups of one container (other stores' containers may run beside it)."""
    base = Path("/sys/fs/cgroup")
    found = [p for p in base.glob(f"*/hullbox/{id_prefix}*") if p.is_dir()]
    found += [p for p in base.glob(f"hullbox/{id_prefix}*") if p.is_dir()]
    return found


def test_run_prints_output_and_removes_itself(hullbox: Hullbox) -> None:
    result = hullbox("run", "--rm", "busybox", "echo", "hello")
    assert (result.returncode, result.stdout, result.stderr) == (0, "hello\n", "")
    assert hullbox.ok("ps", "-aq") == ""
    assert _mounts_under(hullbox.root) == []


def test_exit_code_passes_through(hullbox: Hullbox) -> None:
    assert hullbox("run", "--rm", "busybox", "sh", "-c", "exit 3").returncode == 3


def test_killed_by_signal_is_128_plus_n(hullbox: Hullbox) -> None:
    # PID 1 cannot SIGKILL itself inside its namespace; the host can.
    running = subprocess.Popen(
        [*hullbox_command(), "run", "--name", "victim", "busybox", "sleep", "30"],
        env=hullbox.env())
    try:
        pid = 0
        deadline = time.monotonic() + 20
        while not pid and time.monotonic() < deadline:
            time.sleep(0.1)
            found = hullbox("inspect", "-f", "{{.State.Pid}}", "victim").stdout.strip()
            pid = int(found) if found.isdigit() else 0
        assert pid, "the container never reported its pid"
        os.kill(pid, signal.SIGKILL)
        assert running.wait(timeout=20) == 137
        assert hullbox.ok("inspect", "-f", "{{.State.ExitCode}}", "victim") == "137\n"
    finally:
        running.kill()
        hullbox("rm", "-f", "victim")


def test_env_workdir_user_hostname(hullbox: Hullbox) -> None:
    out = hullbox.ok("run", "--name", "c1", "-e", "A=1", "-w", "/tmp", "-u", "1000:1000",
                     "--hostname", "h", "busybox", "sh", "-c", "echo $A; pwd; id; hostname")
    assert out.splitlines() == ["1", "/tmp", "uid=1000 gid=1000 groups=1000", "h"]
    listing = hullbox.ok("ps", "-a")
    assert listing.splitlines()[0].split() == [
        "CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
    assert "Exited (0)" in listing and " c1" in listing
    info = json.loads(hullbox.ok("inspect", "c1"))[0]
    assert info["Name"] == "/c1"
    assert info["State"]["Status"] == "exited"
    assert info["Config"]["Hostname"] == "h"
    assert hullbox.ok("inspect", "-f", "{{.State.ExitCode}} {{.Config.User}}", "c1") == \
        "0 1000:1000\n"
    assert hullbox.ok("rm", "c1") == "c1\n"
    assert hullbox("inspect", "c1").returncode == 1


def test_user_by_name_from_the_images_passwd(hullbox: Hullbox) -> None:
    out = hullbox.ok("run", "--rm", "-u", "www-data", "busybox", "id")
    assert out.strip() == "uid=33(www-data) gid=33(www-data) groups=33(www-data)"


def test_container_is_pid_1_with_its_own_hostname(hullbox: Hullbox) -> None:
    out = hullbox.ok("run", "--rm", "busybox", "sh", "-c", "echo $$; hostname")
    pid, hostname = out.split()
    assert pid == "1"
    assert len(hostname) == 12


def test_command_not_found_is_127_and_not_executable_is_126(hullbox: Hullbox) -> None:
    missing = hullbox("run", "--rm", "busybox", "no-such-command")
    assert missing.returncode == 127
    assert "no-such-command" in missing.stderr and len(missing.stderr.splitlines()) == 1
    not_exec = hullbox("run", "--rm", "busybox", "/etc")
    assert not_exec.returncode == 126
    assert hullbox.ok("ps", "-aq") == ""


def test_create_then_start_attached(hullbox: Hullbox) -> None:
    container_id = hullbox.ok("create", "--name", "later", "busybox", "echo", "started").strip()
    assert len(container_id) == 64
    assert "Created" in hullbox.ok("ps", "-a")
    assert hullbox.ok("start", "-a", "later") == "started\n"
    assert hullbox.ok("inspect", "-f", "{{.State.Status}}", "later") == "exited\n"
    hullbox.ok("rm", "later")


def test_rm_goes_on_past_a_missing_container(hullbox: Hullbox) -> None:
    hullbox.ok("create", "--name", "r1", "busybox", "true")
    result = hullbox("rm", "-f", "r1", "nope")
    assert result.returncode == 1
    assert result.stdout == "r1\n"
    assert "no such container: nope" in result.stderr
    assert hullbox("inspect", "r1").returncode == 1


def test_name_in_use_is_refused(hullbox: Hullbox) -> None:
    hullbox.ok("create", "--name", "taken", "busybox", "true")
    result = hullbox("run", "--name", "taken", "busybox", "true")
    assert result.returncode == 125
    assert 'container name "/taken" is already in use' in result.stderr
    assert len(hullbox.ok("ps", "-aq").split()) == 1
    hullbox.ok("rm", "taken")


def test_limits_read_only_and_no_network(hullbox: Hullbox) -> None:
    result = hullbox("run", "--rm", "--read-only", "--network", "none", "--memory", "64m",
                     "--cpus", "0.5", "--pids-limit", "50", "busybox", "true")
    assert result.returncode == 0, result.stderr
    ro = hullbox("run", "--rm", "--read-only", "busybox", "touch", "/x")
    assert ro.returncode == 1
    assert "Read-only file system" in ro.stderr
    links = hullbox.ok("run", "--rm", "--network", "none", "busybox", "ls", "/sys/class/net")
    assert links.split() == ["lo"]


def test_pids_limit_is_enforced(hullbox: Hullbox) -> None:
    script = "for i in 1 2 3 4 5 6 7 8 9 10; do sleep 2 & done; echo all-started"
    result = hullbox("run", "--rm", "--pids-limit", "5", "busybox", "sh", "-c", script)
    assert "all-started" not in result.stdout
    assert "can't fork" in result.stderr
    unlimited = hullbox("run", "--rm", "busybox", "sh", "-c", script)
    assert unlimited.stdout == "all-started\n"


def test_memory_limit_is_set_in_the_cgroup(hullbox: Hullbox) -> None:
    script = ("cat /sys/fs/cgroup/memory.max 2>/dev/null || "
              "cat /sys/fs/cgroup/memory/memory.limit_in_bytes")
    out = hullbox.ok("run", "--rm", "--memory", "64m", "busybox", "sh", "-c", script)
    assert out.strip() == str(64 * 1024 * 1024)


def test_bad_input_is_one_line_and_exit_125(hullbox: Hullbox) -> None:
    cases = [
        (["run", "Bad:Ref"], "repository name must be lowercase"),
        (["run", "--rm", "nosuchimage"], "not found locally"),
        (["run", "--rm", "--memory", "lots", "busybox", "true"], "invalid --memory"),
        (["run", "--rm", "--bogus-flag", "busybox"], "No such option: --bogus-flag"),
    ]
    for args, text in cases:
        result = hullbox(*args)
        assert result.returncode == 125, (args, result.stderr)
        assert text in result.stderr, (args, result.stderr)
        assert result.stderr.startswith("hullbox: ")
    assert hullbox.ok("ps", "-aq") == ""


def test_same_bundle_on_runc(hullbox: Hullbox) -> None:
    if shutil.which("runc") is None:
        pytest.skip("runc is not installed (apt-get install runc)")
    out = hullbox.ok("run", "--rm", "--runtime", "runc", "--hostname", "rh", "busybox",
                     "sh", "-c", "echo $$ $(hostname)")
    assert out == "1 rh\n"
    assert hullbox("run", "--rm", "--runtime", "runc", "busybox", "sh", "-c",
                   "exit 4").returncode == 4


def test_nothing_is_left_behind(hullbox: Hullbox) -> None:
    # The default hostname is the short ID: that is how the test learns it.
    short_id = hullbox.ok("run", "--rm", "--memory", "32m", "--pids-limit", "20", "busybox",
                          "hostname").strip()
    assert len(short_id) == 12
    assert _mounts_under(hullbox.root) == []
    assert _hullbox_cgroups(short_id) == []
