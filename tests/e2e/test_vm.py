"""Virtual machines as a user types them: a real QEMU guest (Debian's cloud
kernel, a busybox initramfs) driven over its serial console.

One guest boots for the module (a TCG boot takes seconds); the tests run in
file order on it, the last one ends it."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command
from .terminal import read_until
from .vm_guest import READY, GuestConsole, guest_files, machine_store, wait_for_log

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def vmbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hullbox]:
    yield from machine_store(tmp_path_factory)


@pytest.fixture(scope="module")
def guest(vmbox: Hullbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A running guest with a port forward, and its console."""
    kernel, initrd = guest_files(tmp_path_factory.mktemp("guest"))
    port = str(_free_port())
    vmbox.ok("vm", "create", "g1", "--memory", "256M", "--disk", "1G", "--kernel", str(kernel),
             "--initrd", str(initrd), "--append", "quiet", "-p", f"127.0.0.1:{port}:22")
    vmbox.ok("vm", "start", "g1")
    info = json.loads(vmbox.ok("vm", "inspect", "g1"))[0]
    machine_dir = vmbox.root / "machines" / info["Id"][:12]
    wait_for_log(machine_dir / "console.log", READY)
    yield {"port": port, "dir": str(machine_dir), "pid": str(info["State"]["Pid"])}


def _state(vmbox: Hullbox, name: str) -> str:
    return vmbox.ok("vm", "inspect", "-f", "{{.State.Status}}", name).strip()


def test_live_snapshot_survives_rm_rf_of_the_guest(vmbox: Hullbox,
                                                    guest: dict[str, str]) -> None:
    """The seeds' exercise: marker, live snapshot, rm -rf /, restore, marker back."""
    console = GuestConsole(Path(guest["dir"]) / "console.sock")
    try:
        # $((6*7)) so the echo of the typed line never looks like the result
        console.run("echo marker-$((6*7)) > /root/marker")
        assert "marker-42" in console.run("cat /root/marker")
        assert vmbox.ok("vm", "snapshot", "save", "g1", "clean").strip() == "clean"
        listing = vmbox.ok("vm", "snapshot", "ls", "g1")
        assert listing.splitlines()[1].split()[:2] == ["clean", "full"]
        # /proc and /sys go first: walking them takes long under TCG, and
        # they are kernel state in RAM that the restore brings back too
        console.run("umount /proc /sys; rm -rf / 2>/dev/null")
        # only shell builtins are left
        assert "GONE" in console.run("[ -e /root/marker ] || [ -e /bin/cat ] || echo GO''NE")
        assert vmbox.ok("vm", "snapshot", "restore", "g1", "clean").strip() == "clean"
        assert "marker-42" in console.run("cat /root/marker")
        assert "Linux version" in console.run("cat /proc/version")
    finally:
        console.close()
    # the same QEMU went on running from the restored state
    assert _state(vmbox, "g1") == "running"
    assert vmbox.ok("vm", "inspect", "-f", "{{.State.Pid}}", "g1").strip() == guest["pid"]


def test_port_forward_and_its_conflicts(vmbox: Hullbox, guest: dict[str, str]) -> None:
    port = guest["port"]
    with socket.create_connection(("127.0.0.1", int(port)), timeout=10):
        pass  # QEMU's user-mode NAT listens on the forwarded host port
    assert f"127.0.0.1:{port}->22/tcp" in vmbox.ok("vm", "ls")
    kernel = json.loads(vmbox.ok("vm", "inspect", "g1"))[0]["Config"]["Kernel"]
    vmbox.ok("vm", "create", "g2", "--memory", "64M", "--kernel", kernel)
    try:
        result = vmbox("vm", "start", "g2", "-p", f"127.0.0.1:{port}:22")
        assert result.returncode == 125
        assert result.stderr.strip().splitlines() == [
            f"hullbox: cannot start VM g2: host port 127.0.0.1:{port}/tcp is already "
            "forwarded to VM g1"]
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            busy = taken.getsockname()[1]
            result = vmbox("vm", "start", "g2", "-p", f"127.0.0.1:{busy}:80")
        assert result.returncode == 125
        assert "Address already in use" in result.stderr
        assert _state(vmbox, "g2") == "stopped"
        # a failed start keeps no forward it was given
        assert json.loads(vmbox.ok("vm", "inspect", "g2"))[0]["Config"]["Ports"] == []
    finally:
        vmbox.ok("vm", "rm", "g2")


def test_start_of_a_running_vm_and_unknown_snapshot(vmbox: Hullbox,
                                                   guest: dict[str, str]) -> None:
    result = vmbox("vm", "start", "g1")
    assert (result.returncode, result.stderr) == (125, "hullbox: VM g1 is already running\n")
    result = vmbox("vm", "snapshot", "restore", "g1", "nosuch")
    assert result.returncode == 125
    assert result.stderr == ('hullbox: VM g1 has no snapshot "nosuch"; list them with: '
                             "hullbox vm snapshot ls g1\n")
    assert _state(vmbox, "g1") == "running"


def test_console_attach_and_detach_keys(vmbox: Hullbox, guest: dict[str, str]) -> None:
    """``vm console`` in a terminal: type into the guest, leave with ctrl-p ctrl-q."""
    pid, master = pty.fork()
    if pid == 0:  # the user's terminal session
        os.environ.update(vmbox.env())
        argv = [*hullbox_command(), "vm", "console", "g1"]
        os.execvp(argv[0], argv)
    try:
        assert b"detach with ctrl-p,ctrl-q" in _read_until(master, b"ctrl-q")
        os.write(master, b"echo hi-$((1+1))\r")
        assert b"hi-2" in _read_until(master, b"hi-2")
        os.write(master, b"\x10\x11")
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        os.close(master)
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    assert _state(vmbox, "g1") == "running"


def _read_until(fd: int, needle: bytes, timeout: float = 60) -> bytes:
    return read_until(fd, needle, timeout)  # a guest under TCG is slow to answer


def test_stop_then_resume_the_saved_state_then_guest_power_off(
        vmbox: Hullbox, guest: dict[str, str]) -> None:
    """A stopped machine restored to a full snapshot is "saved"; start resumes
    it with RAM and all. A guest that powers itself off shows as stopped, with
    the reason."""
    vmbox.ok("vm", "stop", "--time", "1", "g1")  # busybox ignores the ACPI button
    assert _state(vmbox, "g1") == "stopped"
    assert vmbox.ok("vm", "snapshot", "ls", "--format", "{{.Name}} {{.Kind}}", "g1") == (
        "clean full\n")
    vmbox.ok("vm", "snapshot", "restore", "g1", "clean")
    assert _state(vmbox, "g1") == "saved"
    # the saved state has the machine's disks plugged in as they were
    refused = vmbox("vm", "disk", "detach", "g1", "/nonexistent.qcow2")
    assert refused.returncode == 125
    assert refused.stderr == ("hullbox: cannot detach a disk from VM g1: it resumes from "
                              "snapshot 'clean' at its next start, which holds its disks as "
                              "they were; start it, then change its disks while it runs\n")
    vmbox.ok("vm", "start", "g1")
    console = GuestConsole(Path(guest["dir"]) / "console.sock")
    try:
        assert "marker-42" in console.run("cat /root/marker")
        console.send_last("poweroff -f")
    finally:
        console.close()
    assert vmbox.ok("vm", "ls", "--format", "{{.State}}") == "stopped\n"
    error = vmbox.ok("vm", "inspect", "-f", "{{.State.Error}}", "g1")
    assert "Power down" in error
    assert "Died" in vmbox.ok("vm", "ls")
