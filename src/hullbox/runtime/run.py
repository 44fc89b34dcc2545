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
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from hullbox.errors import RuntimeFailure
from hullbox.oci.runtime_spec import Spec, parse_spec
from hullbox.runtime import state as st
from hullbox.runtime.spawn import spawn

#: the signals docker run's sig-proxy forwards
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
                     signal.SIGUSR1, signal.SIGUSR2)


@dataclass
class ExitStatus:
    """How the container's PID 1 ended."""

    exit_code: int          # Docker convention: the code, or 128+N when killed by signal N
    signal: int | None
    oom_killed: bool


def load_spec(bundle: Path, container_id: str) -> Spec:
    """bundle/config.json parsed; RuntimeFailure when it is missing or malformed."""
    try:
        return parse_spec(json.loads((bundle / "config.json").read_bytes()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RuntimeFailure(f"create container {container_id}: "
                             f"read {bundle / 'config.json'}: {exc}") from exc


def make_state_dir(state_root: Path, container_id: str) -> Path:
    """Create the container's state dir; RuntimeFailure when the id is taken."""
    path = st.state_dir(state_root, container_id)
    state_root.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        raise RuntimeFailure(f"create container {container_id}: "
                             f"container with id {container_id} exists") from None
    return path


def created_now() -> str:
    """An RFC 3339 UTC timestamp."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def run_container(bundle: Path, container_id: str, *, state_root: Path,
                  stdin: int | None = 0, stdout: int = 1, stderr: int = 2,
                  on_start: Callable[[int], None] | None = None,
                  forward_signals: bool = True) -> ExitStatus:
    """Run the bundle's process as a container and wait for it to exit.

    stdin None means /dev/null. With process.terminal the container gets a pty
    whose master is proxied to stdin/stdout. on_start(host_pid) is called once
    the process has exec'd. Raises CommandNotFound / CommandNotInvokable /
    RuntimeFailure; cgroups and the state dir are removed in every case.
    """
    bundle = bundle.resolve()
    spec = load_spec(bundle, container_id)
    with ExitStack() as stack:
        make_state_dir(state_root, container_id)
        stack.callback(st.remove_state, state_root, container_id)
        if stdin is None:
            stdin = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
            stack.callback(os.close, stdin)
            terminal_stdin: int | None = None
        else:
            terminal_stdin = stdin
        proc = spawn(spec, bundle, container_id, stdio=(stdin, stdout, stderr))
        if proc.cgroup is not None:
            stack.callback(proc.cgroup.destroy)
        if proc.master is not None:
            stack.callback(os.close, proc.master)
        try:
            st.write_state(state_root, st.State(
                container_id, proc.pid, str(bundle), proc.cgroup.path if proc.cgroup else "",
                st.process_start_time(proc.pid) or 0, created_now(), spec.annotations))
            if forward_signals:
                stack.enter_context(_forwarding(proc.pid))
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
    """Forward the sig-proxy signals to pid while active; restore old handlers after."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.saved: dict[int, object] = {}

    def _forward(self, sig: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, sig)

    def __enter__(self) -> None:
        for sig in FORWARDED_SIGNALS:
            try:
                self.saved[sig] = signal.signal(sig, self._forward)
            except ValueError:
                break  # not the main thread: Python only lets it set handlers

    def __exit__(self, *_exc: object) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
