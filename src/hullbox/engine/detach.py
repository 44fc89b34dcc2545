"""Starting a container's monitor detached, and telling whether one lives."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from hullbox import errors
from hullbox.errors import HullboxError, RuntimeFailure

MONITOR_MODULE = "hullbox.engine.monitor"


def _monitor_argv(root: Path, container_id: str, report_fd: int) -> tuple[list[str],
                                                                           dict[str, str]]:
    """The monitor's command line and environment: this interpreter, with the
    directory hullbox is imported from first on its path (a checkout run with
    PYTHONPATH=src starts the same code)."""
    package_parent = str(Path(errors.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
    from hullbox.engine.monitor import monitor_argv

    return monitor_argv(str(root.resolve()), container_id, "start", str(report_fd)), env


def _become_monitor(argv: list[str], env: dict[str, str], report_fd: int) -> None:
    """In the first child: a new session, then a grandchild that init adopts
    when we exit, so no caller (a long-lived Python API user) must reap it."""
    try:
        os.setsid()
        if os.fork() == 0:
            os.chdir("/")  # do not pin the caller's directory (or its mount)
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.set_inheritable(report_fd, True)
            os.execve(argv[0], argv, env)
    finally:
        os._exit(0)  # the first child; in the grandchild, only a failed exec gets here


def start_monitor(root: Path, container_id: str) -> int:
    """Start the container under a new monitor; return the container's pid
    once it runs. Raises what the monitor reported: CommandNotFound (127) for
    a missing command, Conflict when another monitor holds it, and so on."""
    read_fd, write_fd = os.pipe()
    argv, env = _monitor_argv(root, container_id, write_fd)
    pid = os.fork()
    if pid == 0:
        _become_monitor(argv, env, write_fd)
    os.close(write_fd)
    os.waitpid(pid, 0)
    with os.fdopen(read_fd, "rb") as report:
        message = report.read().decode(errors="replace").strip()
    kind, _, rest = message.partition(" ")
    if kind == "started":
        return int(rest)
    if kind == "failed":
        name, _, rest = rest.partition(" ")
        code, _, text = rest.partition(" ")
        raise _error(name, int(code) if code.isdigit() else 125, text)
    raise RuntimeFailure(
        f"start container {container_id[:12]}: its monitor exited before the container "
        f"started ({sys.executable} -m {MONITOR_MODULE} failed)"
    )


def _error(name: str, code: int, message: str) -> HullboxError:
    """The monitor's error as the same class on this side of the pipe."""
    cls = getattr(errors, name, None)
    if isinstance(cls, type) and issubclass(cls, HullboxError):
        return cls(message)
    error = HullboxError(message)
    error.exit_code = code
    return error


def monitor_alive(pid: int, container_id: str) -> bool:
    """Whether ``pid`` is still the monitor of this container (not a reused pid).
    The monitor changes phase by exec, and in the middle of an exec its
    command line reads empty for a moment: that is waited out, not taken
    for death (a zombie, also empty, is dead)."""
    if pid <= 0:
        return False
    for _attempt in range(50):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                cmdline = handle.read().split(b"\0")
            if any(cmdline):
                return MONITOR_MODULE.encode() in cmdline and container_id.encode() in cmdline
            with open(f"/proc/{pid}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            return False
        if state in (b"Z", b"X"):
            return False
        time.sleep(0.01)
    return False  # a kernel thread that took the pid over
