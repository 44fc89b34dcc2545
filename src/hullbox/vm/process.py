"""QEMU processes: launch detached, tell whether one still runs, end it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence

from hullbox.errors import MachineFailure
from hullbox.vm.layout import MachinePaths


def launch(argv: list[str], paths: MachinePaths, name: str, timeout: float = 60,
           keep_fds: Sequence[int] = ()) -> int:
    """Start QEMU in its own session, its output in qemu.log, and return its
    pid once QMP answers; if QEMU exits first, fail with its last words.
    ``keep_fds`` (host port reservations) stay open in QEMU for its life."""
    for stale in (paths.qmp_socket, paths.console_socket):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    with paths.qemu_log.open("wb") as log:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                    start_new_session=True, close_fds=True,
                                    pass_fds=tuple(keep_fds))
        except FileNotFoundError:
            raise MachineFailure(f"{argv[0]} not found; install qemu-system-x86") from None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise MachineFailure(f"start VM {name}: {exit_reason(paths) or 'qemu exited'}")
        if _accepts(paths):
            return proc.pid
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    raise MachineFailure(f"start VM {name}: QEMU did not open its monitor in {timeout:.0f}s")


def _accepts(paths: MachinePaths) -> bool:
    if not paths.qmp_socket.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(paths.qmp_socket))
        except OSError:
            return False
    return True


def is_alive(pid: int, paths: MachinePaths) -> bool:
    """``pid`` is a live QEMU of this machine (not a reused pid, not a zombie)."""
    if pid <= 0:
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            cmdline = handle.read()
    except OSError:
        return False
    return str(paths.qmp_socket).encode() in cmdline


def wait_gone(pid: int, paths: MachinePaths, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for the QEMU to exit; True if it did."""
    deadline = time.monotonic() + timeout
    while is_alive(pid, paths):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it when this process started it
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def kill(pid: int, paths: MachinePaths) -> None:
    """SIGKILL: pull the plug."""
    if is_alive(pid, paths):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        wait_gone(pid, paths, 10)


def exit_reason(paths: MachinePaths) -> str:
    """Why a QEMU ended by itself: its own last message, else the guest's last
    console line (a guest that powered off or panicked says so there)."""
    said = _last_line(paths.qemu_log)
    if said:
        return said.removeprefix("qemu-system-x86_64: ")
    console = _last_line(paths.console_log)
    return "qemu exited without a message" + (
        f"; the guest's last console line: {console}" if console else "")


def _last_line(path: os.PathLike[str]) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 4096))
            tail = handle.read().decode(errors="replace")
    except OSError:
        return ""
    lines = [line.strip() for line in tail.replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line and line.isprintable()]
    return lines[-1] if lines else ""
