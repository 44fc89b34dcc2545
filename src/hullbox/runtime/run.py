"""run_container: the in-process API the engine runs containers with.

Fork, set up, exec, wait: the caller is the container's parent the whole time
(no daemon), so the exit status comes from waitpid and nothing outlives it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from contextlib import ExitStack

from hullbox.errors import HullboxError, RuntimeFailure
from hullbox.oci.runtime_spec import Spec, parse_spec
from hullbox.runtime import state as st
from hullbox.runtime.fds import preserve

# Imported for the type checker only. This module is on the import path of every
# `hullbox run`, so it avoids what costs import time: pathlib (paths are str or
# os.PathLike, handled with os.path), dataclasses, typing, collections.abc.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType

    from hullbox.runtime.state import StrPath

#: the signals docker run's sig-proxy forwards
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
                     signal.SIGUSR1, signal.SIGUSR2)


class ExitStatus:
    """How the container's PID 1 ended."""

    __slots__ = ("exit_code", "oom_killed", "signal")

    def __init__(self, exit_code: int, signal: int | None, oom_killed: bool) -> None:
        self.exit_code = exit_code  # Docker convention: the code, or 128+N when killed by N
        self.signal = signal
        self.oom_killed = oom_killed

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExitStatus):
            return NotImplemented
        return (self.exit_code, self.signal, self.oom_killed) == (
            other.exit_code, other.signal, other.oom_killed)

    def __repr__(self) -> str:
        return (f"ExitStatus(exit_code={self.exit_code!r}, signal={self.signal!r}, "
                f"oom_killed={self.oom_killed!r})")


def load_spec(bundle: StrPath, container_id: str) -> Spec:
    """bundle/config.json parsed; RuntimeFailure when it is missing or malformed."""
    path = os.path.join(bundle, "config.json")
    try:
        with open(path, "rb") as f:
            return parse_spec(json.loads(f.read()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RuntimeFailure(f"create container {container_id}: "
                             f"read {path}: {exc}") from exc


def make_state_dir(state_root: StrPath, container_id: str) -> str:
    """Create the container's state dir; RuntimeFailure when the id is taken."""
    state_root = os.fspath(state_root)
    path = st.state_dir(state_root, container_id)
    os.makedirs(state_root, mode=0o700, exist_ok=True)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        raise RuntimeFailure(f"create container {container_id}: "
                             f"container with id {container_id} exists") from None
    return path


def created_now() -> str:
    """An RFC 3339 UTC timestamp."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def run_container(bundle: StrPath, container_id: str, *, state_root: StrPath,
                  stdin: int | None = 0, stdout: int = 1, stderr: int = 2,
                  on_start: Callable[[int], None] | None = None,
                  forward_signals: bool = True, preserve_fds: int = 0) -> ExitStatus:
    """Run the bundle's process as a container and wait for it to exit.

    stdin None means /dev/null. With process.terminal the container gets a pty
    whose master is proxied to stdin/stdout. on_start(host_pid) is called once
    the process has exec'd. Raises CommandNotFound / CommandNotInvokable /
    RuntimeFailure; cgroups and the state dir are removed in every case.
    """
    from hullbox.runtime.spawn import spawn  # not for finish_container (the monitor's end)

    bundle = os.path.realpath(bundle)
    state_root = os.fspath(state_root)
    spec = load_spec(bundle, container_id)
    preserve(spec.annotations, preserve_fds)
    with ExitStack() as stack:
        make_state_dir(state_root, container_id)
        stack.callback(st.remove_state, state_root, container_id)
        if stdin is None:
            stdin = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
            stack.callback(os.close, stdin)
            terminal_stdin: int | None = None
        else:
            terminal_stdin = stdin
        # Forwarding starts before the container does: a signal that comes
        # while it starts is held, then passed on, rather than ending hullbox
        # (Python's default for SIGTERM) with the container left behind.
        forwarding = stack.enter_context(_forwarding()) if forward_signals else None
        proc = spawn(spec, bundle, container_id, stdio=(stdin, stdout, stderr))
        if proc.cgroup is not None:
            stack.callback(proc.cgroup.destroy)
        if proc.master is not None:
            stack.callback(os.close, proc.master)
        try:
            st.write_state(state_root, st.State(
                container_id, proc.pid, bundle, proc.cgroup.path if proc.cgroup else "",
                st.process_start_time(proc.pid) or 0, created_now(), spec.annotations))
            if forwarding is not None:
                forwarding.start(proc.pid)
            if on_start is not None:
                on_start(proc.pid)
            if proc.master is not None:
                from hullbox.runtime.pty import proxy, terminal_session

                with terminal_session(terminal_stdin, stdout, proc.master):
                    proxy(proc.master, terminal_stdin, stdout)
            _, status = os.waitpid(proc.pid, 0)
        except BaseException:
            os.kill(proc.pid, signal.SIGKILL)
            os.waitpid(proc.pid, 0)
            raise
        code = os.waitstatus_to_exitcode(status)
        sig = -code if code < 0 else None
        oom = proc.cgroup.oom_killed() if proc.cgroup is not None else False
        return ExitStatus(128 + sig if sig else code, sig, oom)
    raise AssertionError("unreachable")  # ExitStack does not swallow exceptions


class _forwarding:
    """Forward the sig-proxy signals to pid while active; restore old handlers
    after. Without a pid yet, signals are held until ``start(pid)``."""

    def __init__(self, pid: int | None = None) -> None:
        self.pid = pid
        self.held: list[int] = []
        self.saved: dict[int, object] = {}

    def _forward(self, sig: int, _frame: FrameType | None) -> None:
        if self.pid is None:
            self.held.append(sig)
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, sig)

    def start(self, pid: int) -> None:
        """The process now runs: pass on what came before."""
        self.pid = pid
        while self.held:
            self._forward(self.held.pop(0), None)

    def __enter__(self) -> _forwarding:
        for sig in FORWARDED_SIGNALS:
            try:
                self.saved[sig] = signal.signal(sig, self._forward)
            except ValueError:
                break  # not the main thread: Python only lets it set handlers
        return self

    def __exit__(self, *_exc: object) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]


def start_container(bundle: StrPath, container_id: str, *, state_root: StrPath,
                    stdio: tuple[int, int, int]) -> tuple[int, int | None]:
    """Start the bundle's process and return (pid, pty master or None) without
    waiting: the caller (the engine's monitor) is its parent, reaps it, then
    calls finish_container. On failure nothing is left behind."""
    from hullbox.runtime.spawn import spawn

    bundle = os.path.realpath(bundle)
    state_root = os.fspath(state_root)
    spec = load_spec(bundle, container_id)
    make_state_dir(state_root, container_id)
    try:
        proc = spawn(spec, bundle, container_id, stdio=stdio)
        st.write_state(state_root, st.State(
            container_id, proc.pid, bundle, proc.cgroup.path if proc.cgroup else "",
            st.process_start_time(proc.pid) or 0, created_now(), spec.annotations))
    except BaseException:
        st.remove_state(state_root, container_id)
        raise
    return proc.pid, proc.master


def finish_container(state_root: StrPath, container_id: str) -> bool:
    """After start_container's process was reaped: remove its cgroup and state;
    True when the kernel's OOM killer ended it."""
    from hullbox.runtime.cgroups import open_cgroup

    oom = False
    try:
        cgroups_path = st.read_state(state_root, container_id).cgroups_path
    except HullboxError:
        cgroups_path = ""
    if cgroups_path:
        with contextlib.suppress(OSError):
            cgroup = open_cgroup(cgroups_path)
            oom = cgroup.oom_killed()
            cgroup.destroy()
    st.remove_state(state_root, container_id)
    return oom
