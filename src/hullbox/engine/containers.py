"""Container use cases: create, start (attached), run, list, remove, inspect."""

from __future__ import annotations

import builtins
import contextlib
import os
import signal
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hullbox.engine.images import ImageService
from hullbox.engine.names import new_id, random_name, validate_name
from hullbox.engine.options import ContainerOptions
from hullbox.engine.rootfs import ContainerPaths, unmount_rootfs
from hullbox.errors import Conflict, ContainerNotFound, HullboxError, InvalidArgument
from hullbox.store import containers as container_db
from hullbox.store.containers import CREATED, EXITED, RUNNING, ContainerRecord
from hullbox.store.store import Store


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
    import shutil  # lazily: `hullbox run` without --rm never removes a tree

    shutil.rmtree(path, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    return pid > 0 and os.path.exists(f"/proc/{pid}")


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

    def list(self, *, all: bool = False) -> builtins.list[ContainerRecord]:
        records = [self._refresh(r) for r in container_db.list_all(self.store)]
        return records if all else [r for r in records if r.state == RUNNING]

    def _refresh(self, record: ContainerRecord) -> ContainerRecord:
        """A container recorded as running whose process is gone was left by a
        hullbox that was killed: record it as exited so nothing waits on it."""
        if record.state == RUNNING and record.pid and not _pid_alive(record.pid):
            record.state, record.exit_code = EXITED, 137
            record.finished = time.time()
            record.error = "the hullbox process that ran this container was killed"
            container_db.update(self.store, record.id, state=EXITED, exit_code=137,
                                finished=record.finished, error=record.error, pid=0)
        return record

    # -- create ------------------------------------------------------------
    def create(
        self,
        image: str,
        command: builtins.list[str] | None = None,
        options: ContainerOptions | None = None,
    ) -> ContainerRecord:
        """Record a container and make its directory; nothing runs yet."""
        options = options or ContainerOptions()
        resolved = self.images.get(image)
        name = validate_name(options.name) if options.name else None
        container_id = new_id()
        from hullbox.engine.specgen import command_line

        args = command_line(resolved.config.config, options, list(command or []))
        if not args:
            raise InvalidArgument(
                f"no command specified: image {image!r} has no CMD or ENTRYPOINT; "
                "give one after the image name"
            )
        record = ContainerRecord(
            id=container_id,
            name=name or random_name(),
            image_id=resolved.id,
            image_name=image,
            command=args,
            config=options.to_json(),
            state=CREATED,
            created=time.time(),
        )
        paths = ContainerPaths(self.store.container_dir(container_id))
        with contextlib.ExitStack() as undo:
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
        if record.state == RUNNING:
            raise Conflict(f"container {record.name} is already running")
        from hullbox.engine.launch import launch_attached

        return launch_attached(self.store, self.images, record,
                               stdin=stdin, stdout=stdout, stderr=stderr)

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
            import tempfile  # lazily: only the Python API captures output

            out_file = err_file = None
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
    def remove(self, name_or_id: str, *, force: bool = False) -> ContainerRecord:
        """``rm``: a running container only with ``force`` (it is killed)."""
        record = self.get(name_or_id)
        if record.state == RUNNING:
            if not force:
                raise Conflict(
                    f"cannot remove container {record.name}: it is running; "
                    "stop it first or use: hullbox rm -f " + record.name
                )
            self._kill_and_wait(record)
        self._delete(record.id)
        return record

    def _kill_and_wait(self, record: ContainerRecord, timeout: float = 10.0) -> None:
        if record.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(record.pid, signal.SIGKILL)
            deadline = time.monotonic() + timeout
            while _pid_alive(record.pid) and time.monotonic() < deadline:
                time.sleep(0.01)

    def _delete(self, container_id: str) -> None:
        paths = ContainerPaths(self.store.container_dir(container_id))
        unmount_rootfs(paths)
        _rmtree(paths.base)
        container_db.delete(self.store, container_id)

    def _remove_quietly(self, container_id: str) -> None:
        with contextlib.suppress(HullboxError):
            self._delete(container_id)

    # -- inspect -----------------------------------------------------------
    def inspect(self, name_or_id: str) -> dict[str, Any]:
        from hullbox.engine.inspect import container_inspect

        record = self.get(name_or_id)
        return container_inspect(self.store, record)
