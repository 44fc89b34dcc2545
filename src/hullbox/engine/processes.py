"""``Engine().processes``: what runs inside running containers: exec, attach,
pause/unpause, top and stats."""

from __future__ import annotations

import builtins
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, BinaryIO

from hullbox.engine import events
from hullbox.engine.containers import ContainerService
from hullbox.engine.exec import ExecOptions, check_running, exec_process, runtime_root
from hullbox.errors import Conflict
from hullbox.store import containers as container_db
from hullbox.store.containers import RUNNING, ContainerRecord
from hullbox.store.store import Store

if TYPE_CHECKING:
    from hullbox.engine.stats import StatsSample
    from hullbox.engine.top import ProcessTable


def _exec_events(store: Store, record: ContainerRecord, command: builtins.list[str]) -> str:
    """Docker's exec_create and exec_start events (the command in the action);
    the exec's ID for its exec_die."""
    exec_id = os.urandom(32).hex()
    for action in ("exec_create", "exec_start"):
        events.container(store, record, f"{action}: {' '.join(command)}", execID=exec_id)
    return exec_id


class ProcessService:
    """Processes of running containers, found through their records."""

    def __init__(self, store: Store, containers: ContainerService) -> None:
        self.store = store
        self.containers = containers

    def _running(self, name_or_id: str) -> ContainerRecord:
        record = self.containers.get(name_or_id)
        if record.state != RUNNING or not record.pid:
            raise Conflict(f"container {record.name} is not running")
        return record

    # -- exec ----------------------------------------------------------------
    def exec(self, name_or_id: str, command: builtins.list[str],
             options: ExecOptions | None = None, *, stdin: int | None = None,
             stdout: int = 1, stderr: int = 2) -> int:
        """``exec``: run ``command`` in the container, wait; its exit code.
        Raises Conflict (125) when the container is not running,
        CommandNotFound (127) and CommandNotInvokable (126) as Docker does."""
        from hullbox.engine.settings.isolation import refuse_in_microvm
        from hullbox.runtime.exec import exec_process as run_in

        options = options or ExecOptions()
        record = self.containers.get(name_or_id)
        refuse_in_microvm(record.config, record.name, "exec")
        check_running(self.store, record)
        process = exec_process(self.store, record, command, options)
        exec_id = _exec_events(self.store, record, command)
        code = run_in(runtime_root(), record.id, process, stdin=stdin, stdout=stdout,
                      stderr=stderr).exit_code
        events.container(self.store, record, "exec_die", execID=exec_id, exitCode=str(code))
        return code

    def exec_detached(self, name_or_id: str, command: builtins.list[str],
                      options: ExecOptions | None = None) -> int:
        """``exec -d``: start ``command`` in the container with no stdio and
        return its (host) pid at once; the container's init reaps it."""
        from hullbox.runtime.exec import spawn_exec

        options = options or ExecOptions()
        if options.tty:
            options.tty = False  # nobody would read the terminal: Docker drops it too
        record = self.containers.get(name_or_id)
        from hullbox.engine.settings.isolation import refuse_in_microvm

        refuse_in_microvm(record.config, record.name, "exec")
        check_running(self.store, record)
        process = exec_process(self.store, record, command, options)
        _exec_events(self.store, record, command)
        null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
        try:
            return spawn_exec(runtime_root(), record.id, process, stdio=(null, null, null)).pid
        finally:
            os.close(null)

    # -- attach --------------------------------------------------------------
    def attach(self, name_or_id: str, *, stdin: int | None, stdout: BinaryIO,
               stderr: BinaryIO, detach_keys: bytes | None = None) -> int | None:
        """``attach``: copy the container's output as it comes (and ``stdin``
        into it, if it was started with -i) until it exits: its exit code;
        None when the detach keys were typed (it goes on running)."""
        from hullbox.engine.attach import DETACH_KEYS, STDIN_FIFO, StdinCopier
        from hullbox.engine.lifecycle import is_active
        from hullbox.engine.logs import follow, log_path, read_entries
        from hullbox.engine.options import ContainerOptions

        record = self.containers.get(name_or_id)
        if not is_active(record):
            raise Conflict(f"cannot attach to container {record.name}: it is not running; "
                           f"start it first (hullbox start {record.name})")
        container_dir = self.store.container_dir(record.id)
        path = log_path(container_dir)
        _, offset = read_entries(path, tail=0)
        copier = None
        if stdin is not None and ContainerOptions.from_json(record.config).interactive:
            import threading

            copier = StdinCopier(stdin, container_dir / STDIN_FIFO,
                                 DETACH_KEYS if detach_keys is None else detach_keys)
            threading.Thread(target=copier.run, daemon=True).start()

        def attached() -> bool:
            if copier is not None and copier.detached.is_set():
                return False
            latest = container_db.get(self.store, record.id)
            return latest is not None and is_active(latest)

        streams = {"stdout": stdout, "stderr": stderr}
        for entry in follow(path, offset, running=attached):
            out = streams.get(entry.stream, stdout)
            out.write(entry.data)
            out.flush()
        if copier is not None and copier.detached.is_set():
            return None
        return self.containers.wait(record.id)

    # -- pause ---------------------------------------------------------------
    def pause(self, name_or_id: str) -> ContainerRecord:
        """``pause``: freeze every process of the container."""
        from hullbox.engine.pause import is_paused, set_frozen

        record = self._running(name_or_id)
        if is_paused(record.id):
            raise Conflict(f"container {record.name} is already paused")
        set_frozen(record.id, record.name, True)
        events.container(self.store, record, "pause")
        return record

    def unpause(self, name_or_id: str) -> ContainerRecord:
        """``unpause``: let the container's processes run again."""
        from hullbox.engine.pause import is_paused, set_frozen

        record = self._running(name_or_id)
        if not is_paused(record.id):
            raise Conflict(f"container {record.name} is not paused")
        set_frozen(record.id, record.name, False)
        events.container(self.store, record, "unpause")
        return record

    # -- top, stats ----------------------------------------------------------
    def top(self, name_or_id: str, ps_args: builtins.list[str] | None = None) -> ProcessTable:
        """``top``: the container's processes, as ``ps`` shows them."""
        from hullbox.engine.top import container_top

        record = self._running(name_or_id)
        return container_top(record, ps_args or [])

    def stats(self, names: builtins.list[str] | None = None, *,
              all: bool = False) -> Iterator[builtins.list[StatsSample]]:
        """``stats``: one list of samples per second (CPU % needs two readings)."""
        from hullbox.engine.stats import sample_forever

        return sample_forever(self.containers, names, all=all)
