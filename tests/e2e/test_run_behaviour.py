"""``run``/``create`` flags that change how the command behaves, as typed:
-a, --sig-proxy, --detach-keys, --cidfile, --label-file, --expose, and the
flags refused in one line."""

from __future__ import annotations

import json
import signal
import subprocess
import termios
import time
import uuid
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command, refused
from .terminal import terminal

pytestmark = pytest.mark.root

TRAP = 'trap "echo got-TERM; exit 3" TERM; echo ready; while true; do sleep 0.1; done'


def _name(prefix: str) -> str:
    return f"rf3-{prefix}-{uuid.uuid4().hex[:8]}"


def _containers(hullbox: Hullbox) -> list[str]:
    return sorted(hullbox.ok("ps", "-aq", "--no-trunc").split())


def _refused(hullbox: Hullbox, *args: str) -> str:
    """A command refused with one line, exit 125, and no container made."""
    before = _containers(hullbox)
    line = refused(hullbox, *args)
    assert _containers(hullbox) == before
    return line


def test_attach_shows_only_the_named_streams(hullbox: Hullbox) -> None:
    script = "echo out; echo err >&2"
    only_err = hullbox("run", "--rm", "-a", "stderr", "busybox", "sh", "-c", script)
    assert (only_err.returncode, only_err.stdout, only_err.stderr) == (0, "", "err\n")
    only_out = hullbox("run", "--rm", "--attach", "STDOUT", "busybox", "sh", "-c", script)
    assert (only_out.returncode, only_out.stdout, only_out.stderr) == (0, "out\n", "")
    both = hullbox("run", "--rm", "-a", "stdout", "-a", "stderr", "busybox", "sh", "-c", script)
    assert (both.stdout, both.stderr) == ("out\n", "err\n")
    # not shown is not lost: the log has what -a left out
    name = _name("attach")
    hullbox.ok("run", "--name", name, "-a", "stderr", "busybox", "sh", "-c", script)
    assert hullbox("logs", name).stdout == "out\n"
    hullbox.ok("rm", name)
    assert "-a/--attach" in _refused(hullbox, "run", "-d", "-a", "stdout", "busybox", "true")
    assert "STDIN, STDOUT or STDERR" in _refused(hullbox, "run", "-a", "stdio", "busybox", "true")


def _run_trapping(hullbox: Hullbox, *flags: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([*hullbox_command(), "run", *flags, "busybox", "sh", "-c", TRAP],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=hullbox.env())
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"
    return proc


def test_sig_proxy_passes_sigterm_to_the_container(hullbox: Hullbox) -> None:
    proc = _run_trapping(hullbox, "--rm")
    proc.send_signal(signal.SIGTERM)
    out, _err = proc.communicate(timeout=30)
    assert out == b"got-TERM\n"  # the container's trap ran
    assert proc.returncode == 3  # and hullbox exits with its code


def test_sig_proxy_false_leaves_the_container_running(hullbox: Hullbox) -> None:
    name = _name("sigproxy")
    proc = _run_trapping(hullbox, "--name", name, "--sig-proxy=false")
    proc.send_signal(signal.SIGTERM)
    out, _err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGTERM  # hullbox ended by the signal, as docker's CLI
    assert out == b""  # the trap did not run
    time.sleep(0.5)
    assert hullbox.ok("inspect", "-f", "{{.State.Status}}", name).strip() == "running"
    hullbox.ok("stop", "-t", "5", name)  # now the signal reaches it, through stop
    assert hullbox.ok("logs", name) == "ready\ngot-TERM\n"
    assert hullbox.ok("inspect", "-f", "{{.State.ExitCode}}", name).strip() == "3"
    hullbox.ok("rm", name)


def _wait_for_raw_mode(master: int) -> None:
    deadline = time.monotonic() + 15
    while termios.tcgetattr(master)[3] & termios.ECHO and time.monotonic() < deadline:
        time.sleep(0.05)


def test_detach_keys_leave_a_run_it_container_running(hullbox: Hullbox) -> None:
    name = _name("detach")
    with terminal(hullbox, "run", "-it", "--name", name, "busybox", "sh") as user:
        assert b"# " in user.read_until(b"# ")
        user.type(b"echo $((6*7))\r")
        assert b"42" in user.read_until(b"42")
        user.type(b"\x10\x11")  # ctrl-p ctrl-q
        assert user.exit_code() == 0
    assert hullbox.ok("inspect", "-f", "{{.State.Status}}", name).strip() == "running"
    assert hullbox.ok("exec", name, "echo", "still-here") == "still-here\n"
    # attach finds the terminal again, input and output
    with terminal(hullbox, "attach", name) as user:
        _wait_for_raw_mode(user.master)  # keys typed before would be flushed
        user.type(b"echo back-$((2*4))\r")
        assert b"back-8" in user.read_until(b"back-8")
        user.type(b"exit 4\r")
        assert user.exit_code() == 4
    assert hullbox.ok("inspect", "-f", "{{.State.ExitCode}}", name).strip() == "4"
    hullbox.ok("rm", "-f", name)


def test_custom_detach_keys_and_a_lone_first_key_passes_through(hullbox: Hullbox) -> None:
    name = _name("keys")
    with terminal(hullbox, "run", "-it", "--rm", "--name", name, "--detach-keys", "ctrl-a,d",
                  "busybox", "sh") as user:
        assert b"# " in user.read_until(b"# ")
        user.type(b"\x10\x11echo typed-$((2+3))\r")  # the default keys mean nothing now
        assert b"typed-5" in user.read_until(b"typed-5")
        user.type(b"\x01d")  # ctrl-a d
        assert user.exit_code() == 0
    assert hullbox.ok("inspect", "-f", "{{.State.Running}}", name).strip() == "true"
    hullbox.ok("rm", "-f", name)
    assert "--detach-keys" in _refused(hullbox, "run", "--detach-keys", "ctrl-1", "busybox",
                                       "true")


def test_cidfile_holds_the_id_and_an_existing_one_is_refused(
    hullbox: Hullbox, tmp_path: Path
) -> None:
    cidfile = tmp_path / "cid"
    created = hullbox.ok("create", "--cidfile", str(cidfile), "busybox", "true").strip()
    assert cidfile.read_text() == created and len(created) == 64
    line = _refused(hullbox, "run", "--rm", "--cidfile", str(cidfile), "busybox", "true")
    assert str(cidfile) in line
    assert cidfile.read_text() == created  # left as it was
    ran = tmp_path / "ran"
    hullbox.ok("run", "--rm", "--cidfile", str(ran), "busybox", "true")
    assert len(ran.read_text()) == 64
    # a create that fails leaves no file behind
    failed = tmp_path / "failed"
    _refused(hullbox, "create", "--cidfile", str(failed), "--name", "no/such", "busybox")
    assert not failed.exists()
    result = hullbox("create", "--cidfile", str(failed), "no-such-image-rf3")
    assert result.returncode == 125 and not failed.exists()
    hullbox.ok("rm", created)


def test_label_file_and_expose_in_inspect(hullbox: Hullbox, tmp_path: Path) -> None:
    labels = tmp_path / "labels"
    labels.write_text("# a comment\ntier=web\nowner=file\n\n")
    created = hullbox.ok("create", "--label-file", str(labels), "-l", "owner=flag",
                         "--expose", "80", "--expose", "9000-9001/udp", "busybox", "true")
    config = json.loads(hullbox.ok("inspect", "-f", "{{json .Config}}", created.strip()))
    assert config["Labels"] == {"tier": "web", "owner": "flag"}
    assert config["ExposedPorts"] == {"80/tcp": {}, "9000/udp": {}, "9001/udp": {}}
    hullbox.ok("rm", created.strip())
    assert "--expose" in _refused(hullbox, "create", "--expose", "http", "busybox", "true")
    assert "--label-file" in _refused(hullbox, "create", "--label-file",
                                      str(tmp_path / "none"), "busybox", "true")


def test_publish_all_publishes_exposed_ports(hullbox: Hullbox) -> None:
    name = _name("expose")
    hullbox.ok("run", "-d", "--name", name, "-P", "--expose", "7071", "busybox",
               "sleep", "60")
    try:
        ports = hullbox.ok("port", name)
        assert ports.startswith("7071/tcp -> "), ports
    finally:
        hullbox.ok("rm", "-f", name)


@pytest.mark.parametrize(("flags", "says"), [
    (["--volume-driver", "convoy"], "only the local volume driver"),
    (["--use-api-socket"], "no API socket"),
    (["--pull", "sometimes"], "invalid --pull"),
    (["--pull", "never"], "--pull never"),
    (["--platform", "linux"], "invalid platform"),
    (["--sig-proxy=perhaps"], "true or false"),
])
def test_refused_in_one_line(hullbox: Hullbox, flags: list[str], says: str) -> None:
    image = "no-such-image-rf3" if flags == ["--pull", "never"] else "busybox"
    assert says in _refused(hullbox, "run", "--rm", *flags, image, "true")


def test_accepted_flags(hullbox: Hullbox) -> None:
    for flags in (["--volume-driver", "local"], ["--disable-content-trust"],
                  ["--disable-content-trust=false"], ["--sig-proxy"], ["-q"],
                  ["--pull", "never"], ["--platform", "linux/amd64"]):
        result = hullbox("run", "--rm", *flags, "busybox", "echo", "ok")
        assert (result.returncode, result.stdout, result.stderr) == (0, "ok\n", ""), flags
    assert "does not verify image signatures" in " ".join(hullbox.ok("run", "--help").split())


def test_podman_replace_rmi_and_platform_parts(hullbox: Hullbox) -> None:
    name = _name("replace")
    first = hullbox.ok("create", "--name", name, "busybox", "true").strip()
    second = hullbox.ok("create", "--replace", "--name", name, "busybox", "true").strip()
    assert second != first and _containers(hullbox).count(second) == 1
    assert first not in _containers(hullbox)
    hullbox.ok("rm", name)
    # --rmi: the image goes with the --rm container, unless another uses it
    hullbox.ok("tag", "busybox", "rf3-rmi:one")
    assert hullbox.ok("run", "--rm", "--rmi", "rf3-rmi:one", "echo", "ran") == "ran\n"
    assert "rf3-rmi" not in hullbox.ok("images", "--format", "{{.Repository}}")
    assert "--rm" in _refused(hullbox, "run", "--rmi", "busybox", "true")
    ok = hullbox("run", "--rm", "--os", "linux", "--arch", "amd64", "busybox", "echo", "ok")
    assert (ok.returncode, ok.stdout) == (0, "ok\n")
    assert "conflicts" in _refused(hullbox, "run", "--platform", "linux/amd64", "--arch",
                                   "amd64", "busybox", "true")
    assert "linux/arm64" in _refused(hullbox, "run", "--arch", "arm64", "busybox", "true")
