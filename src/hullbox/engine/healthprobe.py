"""One health check: ``python -m hullbox.engine.healthprobe ROOT ID CHECK_JSON``.

Started by the container's monitor at each interval (engine/health.py). It
execs the check's command inside the container through the runtime's exec
(its namespaces and cgroup, its user and environment), kills it when the
timeout passes, and records the result in the container's State.Health.
A paused or stopped container is not checked.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import sys
import time
from pathlib import Path
from typing import Any

from hullbox.engine.health import MAX_OUTPUT, HealthState, apply_result
from hullbox.errors import HullboxError
from hullbox.store.store import Store


def _read_until_exit(pipe: int, pid: int, deadline: float) -> tuple[bytes, int | None]:
    """The output the process writes until it exits (or the deadline passes:
    None); output past MAX_OUTPUT is read and dropped."""
    output = b""
    pidfd = os.pidfd_open(pid)
    try:
        open_pipe = True
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return output, None
            watched = [pidfd, pipe] if open_pipe else [pidfd]
            ready, _, _ = select.select(watched, [], [], left)
            if pipe in ready:
                chunk = os.read(pipe, 65536)
                open_pipe = bool(chunk)
                output = (output + chunk)[:MAX_OUTPUT]
            if pidfd in ready:
                # exited: take what is already written, without waiting for an
                # EOF that a background child of the check could hold off
                os.set_blocking(pipe, False)
                with contextlib.suppress(BlockingIOError):
                    while chunk := os.read(pipe, 65536):
                        output = (output + chunk)[:MAX_OUTPUT]
                _, status = os.waitpid(pid, 0)
                return output, os.waitstatus_to_exitcode(status)
    finally:
        os.close(pidfd)


def run_check(store: Store, container_id: str, command: list[str],
              timeout_ns: int) -> tuple[int, str]:
    """Exec ``command`` in the container; (exit code, output). -1 when it could
    not run or timed out, with Docker's message."""
    from hullbox.engine.exec import ExecOptions, exec_process, runtime_root
    from hullbox.runtime.exec import spawn_exec
    from hullbox.store import containers as container_db

    record = container_db.get(store, container_id)
    if record is None:
        return -1, "container removed"
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    try:
        process = exec_process(store, record, command, ExecOptions())
        proc = spawn_exec(runtime_root(), container_id, process,
                          stdio=(null, write_end, write_end))
    except HullboxError as exc:
        return -1, str(exc)
    finally:
        os.close(write_end)
        os.close(null)
    try:
        output, code = _read_until_exit(read_end, proc.pid, time.monotonic() + timeout_ns / 1e9)
    finally:
        os.close(read_end)
    if code is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        os.waitpid(proc.pid, 0)
        return -1, f"Health check exceeded timeout ({_go_duration(timeout_ns)})"
    return code, output.decode(errors="replace")


def _go_duration(ns: int) -> str:
    seconds = ns / 1e9
    return f"{seconds:g}s" if seconds >= 1 else f"{ns / 1e6:g}ms"


def record_result(store: Store, container_id: str, entry: dict[str, Any], *, retries: int,
                  start_period_ns: int) -> str | None:
    """Apply one result to State.Health, read and written in one transaction;
    the new status when it changed (Docker reports only those)."""
    with store.transaction() as conn:
        row = conn.execute("SELECT health, started, state FROM containers WHERE id=?",
                           (container_id,)).fetchone()
        if row is None or not row["health"] or row["state"] != "running":
            return None  # removed, stopped, or restarted without a check meanwhile
        state = HealthState.from_json(json.loads(row["health"]))
        in_start = time.time() - row["started"] < start_period_ns / 1e9
        new = apply_result(state, entry, retries=retries, in_start_period=in_start)
        conn.execute("UPDATE containers SET health=? WHERE id=?",
                     (json.dumps(new.to_inspect()), container_id))
    return new.status if new.status != state.status else None


def main(argv: list[str]) -> int:
    from hullbox.engine.logs import timestamp
    from hullbox.engine.pause import is_paused
    from hullbox.store import containers as container_db

    root, container_id, check = Path(argv[0]), argv[1], json.loads(argv[2])
    store = Store(root)
    record = container_db.get(store, container_id)
    if record is None or record.state != "running" or is_paused(container_id):
        return 0
    start = timestamp()
    code, output = run_check(store, container_id, check["command"], int(check["timeout"]))
    entry = {"Start": start, "End": timestamp(), "ExitCode": code, "Output": output}
    changed = record_result(store, container_id, entry, retries=int(check["retries"]),
                            start_period_ns=int(check["start_period"]))
    if changed is not None:
        from hullbox.engine import events

        events.container(store, record, f"health_status: {changed}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
