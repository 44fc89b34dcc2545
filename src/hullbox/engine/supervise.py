"""Starting a container for its monitor without waiting for it, and recording
its end: the monitor's heavy work, done before and after the lean phase
(engine.watch) that waits in between.

With the built-in runtime the container is this process's child. With an
external runtime (``--runtime runc``) ``runc create`` forks it and exits, so
this process becomes a child subreaper first and adopts it, as conmon does.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hullbox.engine import events
from hullbox.engine.options import ContainerOptions
from hullbox.engine.rootfs import ContainerPaths, unmount_rootfs
from hullbox.engine.settings.podman import write_pidfile
from hullbox.errors import (
    CommandNotFound,
    CommandNotInvokable,
    HullboxError,
    InvalidArgument,
    RuntimeFailure,
)
from hullbox.store import containers as container_db
from hullbox.store.containers import EXITED, RUNNING, ContainerRecord
from hullbox.store.store import Store

if TYPE_CHECKING:  # the monitor's exited phase (record_exit) must stay light
    from hullbox.engine.images import ImageService

PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class Started:
    """A running container: its pid and the descriptors its output comes on
    (read end -> "stdout"/"stderr"; the pty master alone with -t)."""

    pid: int
    sources: dict[int, str]
    # With -it: (stdin fifo, pty master): what `attach` types goes to the pty.
    forward: tuple[int, int] | None = None
    # What the container's network holds open while it runs (published
    # ports' reservations): kept across the monitor's phases.
    held: tuple[int, ...] = ()


def _open_sockets() -> set[tuple[int, int]]:
    """(fd, inode) of each open socket: a descriptor number closed and reused
    meanwhile is told apart by its inode."""
    found = set()
    for name in os.listdir("/proc/self/fd"):
        try:
            st = os.fstat(int(name))
        except OSError:
            continue
        if stat.S_ISSOCK(st.st_mode):
            found.add((int(name), st.st_ino))
    return found


def _setup_network(store: Store, images: ImageService, record: ContainerRecord,
                   paths: ContainerPaths) -> tuple[Callable[[], None], tuple[int, ...]]:
    """The container's network (engine.networking), and the sockets it left
    open: they must outlive this phase's exec, so the monitor keeps them."""
    from hullbox.engine.networking import setup

    before = _open_sockets()
    undo = setup(store, images, record, paths)
    # Duplicates: the socket objects behind the originals may be collected
    # (and closed) before the exec; these stay open until the run ends.
    return undo, tuple(os.dup(fd) for fd, _ in sorted(_open_sockets() - before))


def _external_root(runtime: str) -> str:
    return f"/run/hullbox/{runtime}"


def _external(runtime: str) -> str:
    import shutil

    binary = shutil.which(runtime)
    if binary is None:
        raise InvalidArgument(
            f"runtime {runtime!r} not found on PATH; install it (apt-get install {runtime}) "
            "or use the built-in runtime"
        )
    return binary


def _start_external(runtime: str, bundle: str, container_id: str, tty: bool,
                    stdio: tuple[int, int, int]) -> int:
    """``RUNTIME create`` then ``start``; returns the container's pid."""
    import subprocess

    from hullbox.linux.caps import prctl

    if tty:
        raise InvalidArgument(f"-t with -d is not supported with --runtime {runtime} yet; "
                              "drop -t, or use the built-in runtime")
    binary = _external(runtime)
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    pid_file, log = os.path.join(bundle, "runtime.pid"), os.path.join(bundle, "runtime.log")
    base = [binary, "--root", _external_root(runtime), "--log", log]
    for step in (["create", "--bundle", bundle, "--pid-file", pid_file, container_id],
                 ["start", container_id]):
        result = subprocess.run([*base, *step], stdin=stdio[0], stdout=stdio[1],
                                stderr=stdio[2], check=False)
        if result.returncode != 0:
            delete_external(runtime, container_id)
            raise _external_error(runtime, step[0], container_id, result.returncode,
                                  _last_line(log))
    with open(pid_file) as handle:
        return int(handle.read().strip())


def _external_error(runtime: str, step: str, container_id: str, code: int,
                    message: str) -> HullboxError:
    """Docker's 127/126 when the runtime could not exec the command."""
    import re

    found = re.search(r'exec: \\?"(.*?)\\?": (executable file not found|permission denied)',
                      message)
    if found and found.group(2) == "permission denied":
        return CommandNotInvokable(f'exec "{found.group(1)}": permission denied')
    if found:
        return CommandNotFound(f'exec "{found.group(1)}": executable file not found in $PATH')
    return RuntimeFailure(f"{runtime} {step} of container {container_id[:12]} failed "
                          f"(exit {code}): {message}")


def _last_line(path: str) -> str:
    try:
        with open(path, errors="replace") as handle:
            lines = [line.strip() for line in handle if line.strip()]
    except OSError:
        return "no message"
    return lines[-1] if lines else "no message"


def delete_external(runtime: str, container_id: str) -> None:
    """``RUNTIME delete --force``: the external runtime forgets the container."""
    import subprocess

    with contextlib.suppress(HullboxError, OSError):
        subprocess.run([_external(runtime), "--root", _external_root(runtime), "delete",
                        "--force", container_id], capture_output=True, check=False)


def launch(store: Store, images: ImageService, record: ContainerRecord) -> Started:
    """Mount, write the bundle and start the container; the store says
    running with its pid. A failure is recorded (exited, with the error's
    exit code) and leaves no mount behind."""
    from hullbox.engine.launch import prepare_bundle, runtime_state_root

    options = ContainerOptions.from_json(record.config)
    paths = prepare_bundle(store, images, record)
    try:
        undo_network, held = _setup_network(store, images, record, paths)
    except BaseException:
        unmount_rootfs(paths)
        raise
    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    err_r, err_w = os.pipe2(os.O_CLOEXEC)
    from hullbox.engine.attach import open_stdin

    # With -i, stdin is a fifo that `attach` writes to; the monitor keeps a
    # descriptor open across its phases (inheritable) so it never sees EOF.
    stdin = open_stdin(paths.base, options.interactive)
    if stdin is not None:
        os.set_inheritable(stdin, True)
    null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC) if stdin is None else stdin
    master = None
    try:
        container_db.update(store, record.id, state=RUNNING, started=time.time(),
                            exit_code=0, error="", pid=0)
        if options.isolation.vm:
            from hullbox.engine.microvm import start_runner

            pid, master = start_runner(store, images, record, paths, (null, out_w, err_w))
        elif options.runtime == "hullbox":
            from hullbox.runtime.run import start_container

            pid, master = start_container(paths.base, record.id,
                                          state_root=runtime_state_root() / "runtime",
                                          stdio=(null, out_w, err_w))
        else:
            pid = _start_external(options.runtime, str(paths.base), record.id, options.tty,
                                  (null, out_w, err_w))
        container_db.update(store, record.id, pid=pid)
        write_pidfile(options.podman, pid)
        events.container(store, record, "start")
    except BaseException as exc:
        for fd in (out_r, err_r):
            os.close(fd)
        if isinstance(exc, HullboxError):
            container_db.update(store, record.id, state=EXITED, exit_code=exc.exit_code,
                                error=str(exc), finished=time.time(), pid=0)
        undo_network()
        unmount_rootfs(paths)
        raise
    finally:
        for fd in (out_w, err_w) if stdin is not None else (out_w, err_w, null):
            os.close(fd)
    if master is not None:  # -t: all output comes through the pty
        os.close(out_r)
        os.close(err_r)
        return Started(pid, {master: "stdout"},
                       None if stdin is None else (stdin, master), held)
    return Started(pid, {out_r: "stdout", err_r: "stderr"}, None, held)


def record_exit(store: Store, record: ContainerRecord, wait_status: int) -> int:
    """The container was reaped with ``wait_status``: clean up after it in the
    runtime, unmount, and record the exit; returns Docker's exit code."""
    code = os.waitstatus_to_exitcode(wait_status)
    code = 128 - code if code < 0 else code
    options = ContainerOptions.from_json(record.config)
    oom = False
    if options.runtime == "hullbox":
        from hullbox.engine.launch import runtime_state_root
        from hullbox.runtime.run import finish_container

        oom = finish_container(runtime_state_root() / "runtime", record.id)
    else:
        delete_external(options.runtime, record.id)
    from hullbox.engine.networking import disconnect_all

    disconnect_all(store, record.id)
    if options.isolation.vm:
        from hullbox.engine.microvm import collect_volumes

        collect_volumes(store.container_dir(record.id))
    unmount_rootfs(ContainerPaths(store.container_dir(record.id)))
    container_db.update(store, record.id, state=EXITED, exit_code=code, finished=time.time(),
                        pid=0, error="OOMKilled" if oom else "")
    events.container_exited(store, record, code, oom)
    return code
