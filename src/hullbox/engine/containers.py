"""Container use cases: create, start (attached or under a monitor), run, list,
stop, kill, wait, logs, remove, inspect."""

from __future__ import annotations

import builtins
import contextlib
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hullbox.engine import events, keeper_lock
from hullbox.engine.detach import monitor_alive
from hullbox.engine.images import ImageService
from hullbox.engine.lifecycle import (
    KILL_GRACE,
    is_active,
    parse_signal,
    send_signal,
    stop_plan,
    wait_until,
)
from hullbox.engine.names import new_id, random_name, validate_name
from hullbox.engine.options import ContainerOptions
from hullbox.engine.rootfs import ContainerPaths, unmount_rootfs
from hullbox.errors import (
    Conflict,
    ContainerNotFound,
    HullboxError,
    InvalidArgument,
    RuntimeFailure,
)
from hullbox.store import containers as container_db
from hullbox.store.containers import CREATED, EXITED, ContainerRecord
from hullbox.store.store import Store

if TYPE_CHECKING:
    from hullbox.engine.logs import LogEntry


@dataclass(frozen=True)
class RunResult:
    """What ``Engine().containers.run`` returns: the exit code and the output."""

    container_id: str
    exit_code: int
    stdout: bytes
    stderr: bytes

    @property
    def output(self) -> bytes:
        """Standard output, as docker-py's ``containers.run`` returns it."""
        return self.stdout


def _rmtree(path: Path) -> None:
    from hullbox.engine.rootless import remove_tree  # the files of mapped ids too

    remove_tree(path)


def _pid_alive(pid: int) -> bool:
    return pid > 0 and os.path.exists(f"/proc/{pid}")


def delete_container(store: Store, container_id: str, *, volumes: bool = False) -> None:
    """Unmount, remove the directory (log included) and the row of a container
    that no longer runs; with ``volumes`` (``rm -v``) or ``--rm``, the
    anonymous volumes it made too."""
    from hullbox.engine.container_mounts import release_volumes
    from hullbox.engine.networking import disconnect_all

    record = container_db.get(store, container_id)
    paths = ContainerPaths(store.container_dir(container_id))
    unmount_rootfs(paths)
    disconnect_all(store, container_id)
    _rmtree(paths.base)
    container_db.delete(store, container_id)
    if record is not None:
        events.container(store, record, "destroy")
        release_volumes(store, record.config, remove_anonymous=volumes or bool(
            record.config.get("auto_remove")))


def _clean_up_after_crash(store: Store, record: ContainerRecord) -> None:
    """What a killed monitor could not do: end its container and remove the
    runtime's state dir, the cgroup and the rootfs mount, so the container can
    start again and nothing is left when it is removed."""
    if _pid_alive(record.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, signal.SIGKILL)
        wait_until(lambda: not _pid_alive(record.pid), 5.0)
    from hullbox.engine.launch import runtime_state_root
    from hullbox.engine.pause import cgroup_path
    from hullbox.runtime import state as runtime_state
    from hullbox.runtime.cgroups import open_cgroup

    cgroup = open_cgroup(cgroup_path(record.id))  # read before its state goes
    runtime_state.remove_state(str(runtime_state_root() / "runtime"), record.id)
    runtime = ContainerOptions.from_json(record.config).runtime
    if runtime != "hullbox":  # runc keeps its own state: it must forget the container
        from hullbox.engine.supervise import delete_external

        delete_external(runtime, record.id)
    with contextlib.suppress(OSError):
        cgroup.destroy()
    unmount_rootfs(ContainerPaths(store.container_dir(record.id)))
    from hullbox.engine.networking import disconnect_all

    disconnect_all(store, record.id)


class ContainerService:
    """``Engine().containers``: what ``hullbox container ...`` does."""

    def __init__(self, store: Store, images: ImageService) -> None:
        self.store = store
        self.images = images

    # -- lookup ------------------------------------------------------------
    def get(self, name_or_id: str) -> ContainerRecord:
        """The one container a name, ID or unique ID prefix names."""
        if not name_or_id:
            raise InvalidArgument("a container name or ID is required")
        found = container_db.find(self.store, name_or_id)
        if not found:
            raise ContainerNotFound(f"no such container: {name_or_id}")
        if len(found) > 1:
            raise InvalidArgument(
                f"container ID prefix {name_or_id!r} is ambiguous: it matches "
                f"{len(found)} containers; type more of the ID"
            )
        return self._refresh(found[0])

    def list(
        self,
        *,
        all: bool = False,
        filters: dict[str, builtins.list[str]] | None = None,
    ) -> builtins.list[ContainerRecord]:
        """``ps``: running containers, or ``all``; ``filters`` as
        ``engine.filters.parse_filters`` makes them (a status filter implies all)."""
        from hullbox.engine.filters import matches

        filters = filters or {}
        records = [self._refresh(r) for r in container_db.list_all(self.store)]
        if not all and "status" not in filters:
            records = [r for r in records if is_active(r)]
        return [r for r in records if matches(r, filters)]

    def _refresh(self, record: ContainerRecord) -> ContainerRecord:
        """Notice a container whose keeper died without recording its end: a
        killed monitor, or a killed foreground ``hullbox run``; record it as
        exited (137) so nothing waits on it."""
        if not is_active(record):
            return record
        if record.monitor_pid:
            if monitor_alive(record.monitor_pid, record.id):
                return record
            latest = container_db.get(self.store, record.id)  # it may have just finished
            if latest is None or not is_active(latest):
                return latest or record
            record = latest
            _clean_up_after_crash(self.store, record)
            error = "the monitor of this container was killed"
        elif record.pid and not _pid_alive(record.pid):
            if keeper_lock.is_held(self.store.container_dir(record.id)):
                # the foreground keeper reaped it and is recording its exit now
                return container_db.get(self.store, record.id) or record
            error = "the hullbox process that ran this container was killed"
        else:
            return record
        record.state, record.exit_code, record.pid = EXITED, 137, 0
        record.finished, record.error = time.time(), error
        container_db.update(self.store, record.id, state=EXITED, exit_code=137,
                            finished=record.finished, error=error, pid=0)
        events.container(self.store, record, "die", exitCode="137")
        return record

    def _ended(self, container_id: str) -> bool:
        """Not running and its monitor gone: the exit is recorded and the
        rootfs, cgroup and runtime state are cleaned up."""
        record = container_db.get(self.store, container_id)
        if record is None:
            return True
        record = self._refresh(record)
        return not is_active(record) and not monitor_alive(record.monitor_pid, record.id)

    # -- create ------------------------------------------------------------
    def create(
        self,
        image: str,
        command: builtins.list[str] | None = None,
        options: ContainerOptions | None = None,
        *,
        restart: str | None = None,
    ) -> ContainerRecord:
        """Record a container and make its directory; nothing runs yet.
        ``restart`` (Docker's ``--restart``, applied by the monitor) overrides
        ``options.lifecycle.restart``."""
        from hullbox.engine.restart import RestartPolicy

        options = options or ContainerOptions()
        if restart is not None:
            options.lifecycle.restart = restart
        policy = RestartPolicy.parse(options.lifecycle.restart)
        options.lifecycle.restart = "" if policy.name == "no" else str(policy)
        if policy.name != "no" and options.auto_remove:
            raise InvalidArgument("conflicting options: --restart and --rm; use one of them")
        resolved = self.images.get(image)
        name = validate_name(options.name) if options.name else None
        from hullbox.engine.networking import validate_create
        from hullbox.engine.rootless import adapt_options

        adapt_options(options)
        from hullbox.engine.settings.behaviour import exposed_ports

        validate_create(self.store, options,
                        exposed_ports(resolved.config.config.exposed_ports, options.behaviour))
        from hullbox.engine import namespace_spec

        namespace_spec.validate_create(self.store, options, resolved)
        container_id = new_id()
        from hullbox.engine.specgen import command_line

        args = command_line(resolved.config.config, options, list(command or []))
        if not args:
            raise InvalidArgument(
                f"no command specified: image {image!r} has no CMD or ENTRYPOINT; "
                "give one after the image name"
            )
        from hullbox.engine.container_mounts import plan_mounts

        made_volumes = contextlib.ExitStack()  # undone with the rest, below
        options.storage = plan_mounts(self.store, options.storage,
                                      resolved.config.config.volumes, made_volumes)
        record = ContainerRecord(
            id=container_id,
            name=name or random_name(),
            image_id=resolved.id,
            image_name=image,
            command=args,
            config=options.to_json(),
            state=CREATED,
            created=time.time(),
            restart_policy=options.lifecycle.restart,
        )
        paths = ContainerPaths(self.store.container_dir(container_id))
        with contextlib.ExitStack() as undo:
            undo.push(made_volumes)
            for _attempt in range(5):
                try:
                    container_db.insert(self.store, record)
                    break
                except sqlite3.IntegrityError:
                    if name is not None:
                        owner = container_db.find(self.store, name)
                        owner_id = owner[0].id if owner else "?"
                        raise Conflict(
                            f'container name "/{name}" is already in use by container '
                            f'{owner_id[:12]}; remove it (hullbox rm {name}) or choose '
                            "another --name"
                        ) from None
                    record.name = random_name() + f"_{os.urandom(2).hex()}"
            undo.callback(container_db.delete, self.store, container_id)
            self.store.containers_dir.mkdir(parents=True, exist_ok=True)
            paths.make()
            undo.callback(_rmtree, paths.base)
            undo.pop_all()
        events.container(self.store, record, "create")
        return record

    # -- start -------------------------------------------------------------
    def start_attached(
        self,
        name_or_id: str,
        *,
        stdin: int | None = 0,
        stdout: int = 1,
        stderr: int = 2,
    ) -> int:
        """Run a created (or exited) container in the foreground, its stdio on
        the given descriptors; returns its exit code."""
        record = self.get(name_or_id)
        if is_active(record):
            raise Conflict(f"container {record.name} is already running")
        from hullbox.engine.launch import launch_attached
        from hullbox.engine.logtee import log_tee

        self._wait_for_monitor(record)
        # This process keeps the run: its lock tells _refresh it is alive.
        lock_fd = keeper_lock.hold(self.store.container_dir(record.id), record.id)
        try:
            container_db.update(self.store, record.id, monitor_pid=0)
            with log_tee(self.store, record, stdout, stderr) as tee:
                return launch_attached(self.store, self.images, record, stdin=stdin,
                                       stdout=tee.stdout, stderr=tee.stderr,
                                       on_start=tee.started)
        finally:
            os.close(lock_fd)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait_for_monitor(self, record: ContainerRecord) -> None:
        """A monitor whose container just exited is still cleaning up (rootfs,
        cgroup): a new start waits for it rather than tripping over it."""
        wait_until(lambda: not monitor_alive(record.monitor_pid, record.id), KILL_GRACE)

    def start(self, name_or_id: str) -> ContainerRecord:
        """``start``: run the container under a new detached monitor; returns
        once it runs (a running container is left as it is, as in Docker)."""
        record = self.get(name_or_id)
        if is_active(record):
            return record
        self._wait_for_monitor(record)
        from hullbox.engine.detach import start_monitor

        start_monitor(self.store.root, record.id)
        return self.get(record.id)

    def run_detached(
        self,
        image: str,
        command: builtins.list[str] | None = None,
        options: ContainerOptions | None = None,
        *,
        restart: str | None = None,
    ) -> ContainerRecord:
        """``docker run -d``: create, start under a monitor, return once it runs.
        With ``--rm`` a container that failed to start is removed at once."""
        options = options or ContainerOptions()
        record = self.create(image, command, options, restart=restart)
        try:
            return self.start(record.id)
        except HullboxError:
            if options.auto_remove:
                self._remove_quietly(record.id)
            raise

    def run(
        self,
        image: str,
        command: builtins.list[str] | None = None,
        options: ContainerOptions | None = None,
        *,
        remove: bool = False,
        stdin: int | None = None,
        stdout: int | None = None,
        stderr: int | None = None,
    ) -> RunResult:
        """``docker run`` in the foreground. Output goes to the given descriptors;
        where none is given it is captured and returned (docker-py's behaviour)."""
        options = options or ContainerOptions()
        remove = remove or options.auto_remove
        record = self.create(image, command, options)
        with contextlib.ExitStack() as stack:
            if remove:
                stack.callback(self._remove_quietly, record.id)
            out_file = err_file = None
            if stdout is None or stderr is None:
                import tempfile  # lazily: only the Python API captures output

                if stdout is None:
                    out_file = stack.enter_context(tempfile.TemporaryFile())
                if stderr is None:
                    err_file = stack.enter_context(tempfile.TemporaryFile())
            out_fd = out_file.fileno() if out_file is not None else stdout
            err_fd = err_file.fileno() if err_file is not None else stderr
            assert out_fd is not None and err_fd is not None
            code = self.start_attached(record.id, stdin=stdin, stdout=out_fd, stderr=err_fd)
            captured = []
            for handle in (out_file, err_file):
                if handle is None:
                    captured.append(b"")
                else:
                    handle.seek(0)
                    captured.append(handle.read())
            return RunResult(record.id, code, captured[0], captured[1])
        raise AssertionError("unreachable")  # pragma: no cover

    # -- remove ------------------------------------------------------------
    def remove(self, name_or_id: str, *, force: bool = False,
               volumes: bool = False) -> ContainerRecord:
        """``rm``: a running container only with ``force`` (it is killed);
        ``volumes`` (``-v``) removes the anonymous volumes it made."""
        record = self.get(name_or_id)
        if is_active(record):  # running, or waiting out a restart backoff
            if not force:
                raise Conflict(
                    f"cannot remove container {record.name}: it is running; "
                    "stop it first or use: hullbox rm -f " + record.name
                )
            self._kill_and_wait(record)
        delete_container(self.store, record.id, volumes=volumes)
        return record

    def _kill_and_wait(self, record: ContainerRecord) -> None:
        container_db.update(self.store, record.id, stop_requested=1)  # no restart
        events.container(self.store, record, "kill", signal=str(int(signal.SIGKILL)))
        send_signal(record, signal.SIGKILL)
        if not wait_until(lambda: self._ended(record.id), KILL_GRACE):
            raise RuntimeFailure(
                f"container {record.name} did not exit {KILL_GRACE:.0f}s after SIGKILL"
            )

    def _remove_quietly(self, container_id: str) -> None:
        with contextlib.suppress(HullboxError):
            delete_container(self.store, container_id)

    # -- stop, kill, wait ----------------------------------------------------
    def stop(self, name_or_id: str, timeout: float | None = None,
             sig: str | None = None) -> ContainerRecord:
        """``stop``: --stop-signal, else the image's STOPSIGNAL, else SIGTERM;
        then SIGKILL after ``timeout`` seconds (else --stop-timeout, else 10);
        returns once the exit is recorded; ``sig`` (``stop -s``) overrides the
        signal. A container that is not running is left as it is, as in Docker."""
        wanted = parse_signal(sig) if sig else None
        record = self.get(name_or_id)
        if not is_active(record):
            return record
        container_db.update(self.store, record.id, stop_requested=1)
        number, wait = stop_plan(record, self.images, timeout)
        number = wanted or number
        events.container(self.store, record, "kill", signal=str(int(number)))
        send_signal(record, number)
        if not wait_until(lambda: self._ended(record.id), wait):
            self._kill_and_wait(record)
        events.container(self.store, record, "stop")
        return self.get(record.id)

    def kill(self, name_or_id: str, sig: str | int = "KILL") -> ContainerRecord:
        """``kill -s SIG``. As in Docker it counts as a stop for the restart
        policy; for SIGKILL it returns once the exit is recorded."""
        number = parse_signal(sig)
        record = self.get(name_or_id)
        if not is_active(record):
            raise Conflict(f"cannot kill container {record.name}: it is not running")
        container_db.update(self.store, record.id, stop_requested=1)
        events.container(self.store, record, "kill", signal=str(number))
        send_signal(record, number)
        if number == signal.SIGKILL:
            wait_until(lambda: self._ended(record.id), KILL_GRACE)
        return self.get(record.id)

    def wait(self, name_or_id: str) -> int:
        """``wait``: block until the container stops; its exit code. As in
        Docker, an exit the restart policy follows with a restart counts."""
        record = self.get(name_or_id)
        last_exit = record.finished if is_active(record) else None
        exit_code = record.exit_code

        def stopped() -> bool:
            nonlocal exit_code
            latest = container_db.get(self.store, record.id)
            if latest is None:
                return True
            exit_code = latest.exit_code
            if last_exit is not None and latest.finished != last_exit \
                    and latest.state != EXITED:
                return True  # exited, and restarting (or already restarted)
            return self._ended(record.id)

        wait_until(stopped, None, interval=0.02)
        return exit_code

    def restart(self, name_or_id: str, timeout: float | None = None,
                sig: str | None = None) -> ContainerRecord:
        """``restart``: stop (as ``stop`` does) then start under a monitor."""
        record = self.stop(name_or_id, timeout, sig)
        started = self.start(record.id)
        events.container(self.store, started, "restart")
        return started

    # -- logs ----------------------------------------------------------------
    def logs(
        self,
        name_or_id: str,
        *,
        follow: bool = False,
        tail: int | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Iterator[LogEntry]:
        """The container's output lines, oldest first; with ``follow``, then the
        lines to come until the container exits (across restarts)."""
        from hullbox.engine import logs

        record = self.get(name_or_id)
        if ContainerOptions.from_json(record.config).lifecycle.log_driver == "none":
            raise InvalidArgument(
                f"configured logging driver does not support reading: container "
                f"{record.name} runs with --log-driver none"
            )
        try:
            since_ts = logs.parse_time(since, "--since") if since else None
            until_ts = logs.parse_time(until, "--until") if until else None
        except ValueError as exc:
            raise InvalidArgument(str(exc)) from None
        path = logs.log_path(self.store.container_dir(record.id))
        entries, offset = logs.read_entries(path, since=since_ts, until=until_ts, tail=tail)
        following = logs.follow(path, offset, until=until_ts,
                                running=lambda: not self._ended(record.id)) if follow else None

        def lines() -> Iterator[LogEntry]:
            yield from entries
            if following is not None:
                yield from following

        return lines()

    # -- inspect -----------------------------------------------------------
    def inspect(self, name_or_id: str) -> dict[str, Any]:
        from hullbox.engine.inspect import container_inspect

        record = self.get(name_or_id)
        return container_inspect(self.store, record)

    # -- rename, prune, cp -----------------------------------------------------
    def rename(self, name_or_id: str, new_name: str) -> None:
        """``rename OLD NEW``; see engine.housekeeping."""
        from hullbox.engine.housekeeping import rename

        rename(self, name_or_id, new_name)

    def prune(self, filters: Any = None) -> Any:
        """``container prune``: a PruneReport (engine.housekeeping)."""
        from hullbox.engine.housekeeping import prune

        return prune(self, filters)

    def copy_from(self, name_or_id: str, src: str, dest: str, **options: Any) -> None:
        """``cp CONTAINER:SRC DEST``; see engine.copy."""
        from hullbox.engine.copy import copy_from
        from hullbox.engine.rootless import enter
        from hullbox.engine.settings.isolation import refuse_in_microvm

        record = self.get(name_or_id)
        refuse_in_microvm(record.config, record.name, "cp")
        enter()  # rootless: the container's ids (its root is the user) are ours to give
        copy_from(self.store, self.images, record, src, dest, **options)

    def copy_to(self, src: str, name_or_id: str, dest: str, **options: Any) -> None:
        """``cp SRC CONTAINER:DEST``; see engine.copy."""
        from hullbox.engine.copy import copy_to
        from hullbox.engine.rootless import enter
        from hullbox.engine.settings.isolation import refuse_in_microvm

        record = self.get(name_or_id)
        refuse_in_microvm(record.config, record.name, "cp")
        enter()  # rootless: the container's ids (its root is the user) are ours to give
        copy_to(self.store, self.images, record, src, dest, **options)
