"""Running another process in a running container (``runc exec``).

The caller opens what the new process must join while it still sees the
host: the namespaces of the container's PID 1 (``/proc/PID/ns/*``, each one
that differs from its own) and the cgroup.procs files of the container's
cgroup. It then forks into the container's pid namespace the way spawn.py
does for the init (setns(CLONE_NEWPID) affects only the next child), so the
process is its direct child and waitpid gives the real status. The child
half is exec_init.py.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
from contextlib import ExitStack

from hullbox.errors import (
    CommandNotFound,
    CommandNotInvokable,
    Conflict,
    HullboxError,
    RuntimeFailure,
)
from hullbox.linux import seqpacket
from hullbox.linux.namespaces import NAMESPACE_FLAGS, setns
from hullbox.oci.runtime_spec import Spec
from hullbox.runtime import state as st
from hullbox.runtime.exec_init import ExecContext, exec_init
from hullbox.runtime.init import InitContext
from hullbox.runtime.run import ExitStatus, _forwarding
from hullbox.runtime.spawn import Spawned

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from hullbox.linux.seccomp import Program
    from hullbox.oci.runtime_spec import Process
    from hullbox.runtime.state import StrPath

#: /proc/PID/ns names in the order they are joined: the user namespace after
#: the others (a network namespace made by the engine belongs to the host's
#: user namespace, and can only be joined with the host's privileges), the
#: mount namespace last (it changes what paths mean).
JOIN_ORDER = (("ipc", "ipc"), ("uts", "uts"), ("net", "network"),
              ("cgroup", "cgroup"), ("user", "user"), ("mnt", "mount"))


def running_state(state_root: StrPath, container_id: str) -> st.State:
    """The runtime state of a running container; Conflict when it is not running."""
    state = st.read_state(state_root, container_id)
    current = st.status(state_root, state)
    if current != "running":
        raise Conflict(f"container {container_id} is not running ({current})")
    return state


def _same_namespace(pid: int, name: str) -> bool:
    try:
        return os.stat(f"/proc/{pid}/ns/{name}").st_ino == os.stat(f"/proc/self/ns/{name}").st_ino
    except FileNotFoundError:
        return True  # the kernel has no such namespace type: nothing to join


def _open_namespaces(pid: int, stack: ExitStack) -> list[tuple[str, int, int]]:
    opened = []
    for name, spec_name in JOIN_ORDER:
        if _same_namespace(pid, name):
            continue  # shared with the host (--network host): joining it is a no-op,
            # and setns into one's own user namespace is refused
        fd = os.open(f"/proc/{pid}/ns/{name}", os.O_RDONLY | os.O_CLOEXEC)
        stack.callback(os.close, fd)
        opened.append((spec_name, fd, NAMESPACE_FLAGS[spec_name]))
    return opened


def _open_cgroup_procs(state: st.State, stack: ExitStack) -> list[int]:
    from hullbox.runtime.cgroups import open_cgroup

    if not state.cgroups_path:
        return []
    fds = []
    for path in open_cgroup(state.cgroups_path).procs_files():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            continue  # a hierarchy mounted after the container started
        stack.callback(os.close, fd)
        fds.append(fd)
    return fds


def spawn_exec(state_root: StrPath, container_id: str, process: Process, *,
               stdio: tuple[int, int, int]) -> Spawned:
    """Start ``process`` inside the running container; return once it exec'd.

    Raises Conflict when the container is not running, CommandNotFound (127)
    and CommandNotInvokable (126) as Docker does, RuntimeFailure otherwise.
    """
    state = running_state(state_root, container_id)
    # The container's seccomp filter binds its exec'd processes too (as runc).
    from hullbox.runtime.run import load_spec
    from hullbox.runtime.seccomp import prepare_seccomp

    try:
        seccomp = prepare_seccomp(load_spec(state.bundle, container_id).seccomp)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RuntimeFailure(f"exec in {container_id}: seccomp: {exc}") from exc
    with ExitStack() as stack:
        rootless = os.geteuid() != 0 and not _same_namespace(state.pid, "user")
        if rootless:
            _join_user_namespace(state.pid, container_id)
        pidns = os.open(f"/proc/{state.pid}/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        stack.callback(os.close, pidns)
        namespaces = _open_namespaces(state.pid, stack)
        procs = _open_cgroup_procs(state, stack)
        if st.process_start_time(state.pid) != state.start_time:
            raise Conflict(f"container {container_id} is not running (stopped)")
        seccomp = _container_seccomp(state, container_id)
        ours, theirs = seqpacket.socketpair()
        stack.callback(ours.close)
        init = InitContext(Spec(process), state.bundle, "", theirs, stdio, seccomp=seccomp)
        pid = _fork_into(pidns, ExecContext(init, procs, namespaces), restore=not rootless)
        theirs.close()
        try:
            master = _handshake(ours, container_id)
        except HullboxError:
            os.waitpid(pid, 0)
            raise
        except BaseException:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise
        return Spawned(pid, None, master)
    raise AssertionError("unreachable")  # ExitStack does not swallow exceptions


def _join_user_namespace(pid: int, container_id: str) -> None:
    """Rootless mode: an ordinary user has no privilege over the container's
    namespaces until it joins the user namespace that owns them, which is its
    own (so it may): that comes first here, for good (this process only
    waits for the exec'd one after)."""
    try:
        fd = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
        try:
            setns(fd, NAMESPACE_FLAGS["user"])
        finally:
            os.close(fd)
    except OSError as exc:
        raise RuntimeFailure(f"exec in container {container_id}: join its user namespace: "
                             f"{exc.strerror}; is it another user's container?") from exc


def _container_seccomp(state: st.State, container_id: str) -> Program | None:
    """The container's seccomp profile (config.json's linux.seccomp), compiled:
    an exec'd process is confined as its PID 1 is, as with runc and Docker."""
    import json

    from hullbox.oci.runtime_spec import parse_spec
    from hullbox.runtime.seccomp import prepare_seccomp

    try:
        with open(os.path.join(state.bundle, "config.json"), "rb") as f:
            return prepare_seccomp(parse_spec(json.loads(f.read())).seccomp)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RuntimeFailure(f"exec in container {container_id}: seccomp: {exc}") from exc


def _fork_into(pidns: int, ctx: ExecContext, *, restore: bool = True) -> int:
    """Fork the exec'd process into the pid namespace; then go back to our own
    for later children, unless we may not (``restore`` False: in rootless
    mode this process left the host's user namespace, which owns it)."""
    own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    try:
        setns(pidns, NAMESPACE_FLAGS["pid"])
        pid = os.fork()
        if pid == 0:
            exec_init(ctx)
    except OSError as exc:
        raise RuntimeFailure(f"exec: join pid namespace: {exc.strerror}") from exc
    finally:
        if restore:
            setns(own, NAMESPACE_FLAGS["pid"])  # only the parent gets here
        os.close(own)
    return pid


def _handshake(sock: seqpacket.Socket, container_id: str) -> int | None:
    """Read the child's messages until it exec'd (EOF); raise what it reported."""
    master = None
    while True:
        data, fds = seqpacket.recv_fds(sock, 4096, 1)
        for fd in fds:
            master = fd
        if not data:
            return master
        if data.startswith(b"E"):
            if master is not None:
                os.close(master)
            kind, err, stage = data[1:].decode(errors="replace").split("\0", 2)
            raise exec_error(container_id, kind, int(err), stage)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def exec_error(container_id: str, kind: str, err: int, stage: str) -> HullboxError:
    """The error a failed exec reports, with Docker's exit codes."""
    if kind == "exec":
        if err == 0:
            return CommandNotFound(f'exec "{stage}": executable file not found in $PATH')
        message = f'exec "{stage}": {_lower_first(os.strerror(err))}'
        if err in (errno.ENOENT, errno.ENOTDIR):
            return CommandNotFound(message)
        return CommandNotInvokable(message)
    reason = _lower_first(os.strerror(err or errno.EIO))
    if kind == "cwd":  # Docker: the exec could not start, 126
        return CommandNotInvokable(f"exec in container {container_id}: {stage}: {reason}")
    return RuntimeFailure(f"exec in container {container_id}: {stage}: {reason}")


def exec_process(state_root: StrPath, container_id: str, process: Process, *,
                 stdin: int | None = 0, stdout: int = 1, stderr: int = 2,
                 on_start: Callable[[int], None] | None = None,
                 forward_signals: bool = True) -> ExitStatus:
    """Run ``process`` in the running container and wait for it to exit.

    stdin None means /dev/null. With process.terminal the process gets its
    own pty, proxied to stdin/stdout (the caller's tty in raw mode).
    """
    with ExitStack() as stack:
        terminal_stdin = stdin
        if stdin is None:
            stdin = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
            stack.callback(os.close, stdin)
        proc = spawn_exec(state_root, container_id, process, stdio=(stdin, stdout, stderr))
        if proc.master is not None:
            stack.callback(os.close, proc.master)
        try:
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
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            os.waitpid(proc.pid, 0)
            raise
        code = os.waitstatus_to_exitcode(status)
        sig = -code if code < 0 else None
        return ExitStatus(128 + sig if sig else code, sig, False)
    raise AssertionError("unreachable")  # ExitStack does not swallow exceptions


def load_process(state_root: StrPath, container_id: str, process_json: str | None, *,
                 args: list[str], tty: bool | None = None, cwd: str | None = None,
                 env: list[str] | None = None, user: str | None = None) -> Process:
    """The process of ``runc exec``: the JSON file given with --process, or the
    container's own config.json process with the arguments, tty, cwd, env and
    user of the command line in place (runc's getProcess)."""
    import json

    from hullbox.oci.runtime_spec import Process, User, parse_spec

    try:
        if process_json is not None:
            with open(process_json, "rb") as f:
                return parse_spec({"process": json.loads(f.read())}).process
        state = st.read_state(state_root, container_id)
        with open(os.path.join(state.bundle, "config.json"), "rb") as f:
            base = parse_spec(json.loads(f.read())).process
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RuntimeFailure(f"exec in container {container_id}: read the process: "
                             f"{exc}") from exc
    if not args:
        raise RuntimeFailure("exec: give the command to run, or a process with --process")
    process = Process(tuple(args), base.env + tuple(env or ()), cwd or base.cwd,
                             base.user, base.terminal if tty is None else tty,
                             base.capabilities, base.rlimits, base.no_new_privileges)
    if user:
        uid, _, gid = user.partition(":")
        if not uid.isdigit() or not (gid or "0").isdigit():
            raise RuntimeFailure(f"exec: invalid --user {user!r}: use UID[:GID]")
        process.user = User(int(uid), int(gid or 0), (), base.user.umask)
    return process
