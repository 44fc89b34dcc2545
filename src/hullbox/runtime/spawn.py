"""Creating the container process: cgroup, fork into the pid namespace, init handshake.

The caller unshares CLONE_NEWPID for its *next child only* and then setns()es
back to its own pid namespace, so a single fork yields PID 1 of the container
as the caller's direct child (waitpid gives the real status) and the caller
stays usable for later forks.
"""

from __future__ import annotations

import contextlib
import errno
import os
from contextlib import ExitStack

from hullbox.errors import CommandNotFound, CommandNotInvokable, HullboxError, RuntimeFailure
from hullbox.linux import seqpacket
from hullbox.linux.namespaces import CLONE_NEWPID, setns, unshare
from hullbox.linux.userns import in_user_namespace, set_child_subreaper, write_id_maps
from hullbox.runtime.cgroups import Cgroup, create_cgroup
from hullbox.runtime.init import InitContext, container_init
from hullbox.runtime.seccomp import prepare_seccomp

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hullbox.oci.runtime_spec import Spec


_REFUSED = (errno.EACCES, errno.EPERM, errno.EROFS)


class Spawned:
    """A container process that passed its init (exec'd, or blocked on the exec fifo)."""

    __slots__ = ("cgroup", "master", "pid")

    def __init__(self, pid: int, cgroup: Cgroup | None, master: int | None = None) -> None:
        self.pid = pid
        self.cgroup = cgroup
        self.master = master  # pty master in terminal mode


def rootfs_path(spec: Spec, bundle: str) -> str:
    """root.path, relative to the bundle unless absolute."""
    return os.path.realpath(os.path.join(bundle, spec.root_path))


def spawn(spec: Spec, bundle: str, container_id: str, *, stdio: tuple[int, int, int],
          exec_fifo: str | None = None) -> Spawned:
    """Start the container's init; return once it exec'd (or waits on exec_fifo).

    Raises CommandNotFound/CommandNotInvokable when the exec fails and
    RuntimeFailure naming the stage for anything else, leaving nothing behind.
    """
    try:
        seccomp = prepare_seccomp(spec.seccomp)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RuntimeFailure(f"create container {container_id}: seccomp: {exc}") from exc
    with ExitStack() as undo:
        cgroup = _create_cgroup(spec, container_id)
        procs = []
        if cgroup is not None:
            undo.callback(cgroup.destroy)
            for path in cgroup.procs_files():
                procs.append(os.open(path, os.O_WRONLY | os.O_CLOEXEC))
                undo.callback(os.close, procs[-1])
        ours, theirs = seqpacket.socketpair()
        undo.callback(ours.close)
        nested = in_user_namespace()
        userns = spec.namespace("user") is not None or nested
        # Without a user namespace the parent moves the child into its cgroup
        # while the child makes its namespaces and mounts: a cgroup v1 move
        # waits out an RCU grace period per burst (up to ~10 ms here), which
        # then overlaps the child's work instead of adding to it. The child
        # forks PID 1 itself in a user namespace, so there it joins first.
        joins_itself = userns or not procs
        ctx = InitContext(spec, bundle, rootfs_path(spec, bundle), theirs, stdio,
                          cgroup, procs if joins_itself else [], exec_fifo, seccomp)
        ctx.nested = nested
        ctx.await_cgroup = not joins_itself
        if userns:
            # The child makes the user namespace, forks PID 1 inside it and
            # exits: as a subreaper this process becomes PID 1's parent.
            was_subreaper = set_child_subreaper(True)
            undo.callback(set_child_subreaper, was_subreaper)
            pid = os.fork()
            if pid == 0:
                container_init(ctx)
        else:
            pid = _fork_into_pidns(spec, ctx, container_id)
        theirs.close()
        children = [pid]
        if ctx.await_cgroup:
            _move_into_cgroup(pid, procs, ours, container_id)
        try:
            master = _handshake(ours, container_id, exec_fifo is not None,
                                spec if userns else None, children)
        except HullboxError:
            for child in children:
                os.waitpid(child, 0)
            raise
        except BaseException:
            for child in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, 9)
                os.waitpid(child, 0)
            raise
        pid = children[-1]
        if userns:
            set_child_subreaper(was_subreaper)
        undo.pop_all()
        for fd in procs:
            os.close(fd)
        ours.close()
        return Spawned(pid, cgroup, master)


def _create_cgroup(spec: Spec, container_id: str) -> Cgroup | None:
    """The container's cgroup: under the user's delegated one in rootless mode;
    None where the user may make none (the engine warned about limits)."""
    rootless = in_user_namespace()
    try:
        if rootless:
            from hullbox.runtime.cgroup_delegation import create_delegated

            delegated = create_delegated(container_id, spec.resources)
            if delegated is not None:
                return delegated
    except OSError as exc:
        raise _failure(container_id, "create cgroup under the delegated one", exc.errno) from exc
    try:
        return create_cgroup(spec.cgroups_path or f"/hullbox/{container_id}", spec.resources)
    except OSError as exc:
        if exc.errno not in _REFUSED or not rootless:
            raise _failure(container_id, "create cgroup", exc.errno) from exc
    return None


def _move_into_cgroup(pid: int, procs: list[int], sock: seqpacket.Socket,
                      container_id: str) -> None:
    """Write the child's pid to each cgroup.procs, then let it go on (``G``);
    on failure the child is killed and reaped."""
    try:
        for fd in procs:
            os.write(fd, b"%d" % pid)
        sock.send(b"G", seqpacket.MSG_NOSIGNAL)
    except OSError as exc:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)
        os.waitpid(pid, 0)
        raise _failure(container_id, "join cgroup", exc.errno) from exc


def _fork_into_pidns(spec: Spec, ctx: InitContext, container_id: str) -> int:
    pidns = spec.namespace("pid")
    own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
    try:
        if pidns is not None:
            try:
                if pidns.path:
                    fd = os.open(pidns.path, os.O_RDONLY | os.O_CLOEXEC)
                    try:
                        setns(fd, CLONE_NEWPID)
                    finally:
                        os.close(fd)
                else:
                    unshare(CLONE_NEWPID)
            except OSError as exc:
                raise _failure(container_id, "create pid namespace", exc.errno) from exc
        pid = os.fork()
        if pid == 0:
            container_init(ctx)
    finally:
        if pidns is not None:  # only the parent gets here: the child never returns
            setns(own, CLONE_NEWPID)
        os.close(own)
    return pid


def _handshake(sock: seqpacket.Socket, container_id: str, wait_ready: bool,
               userns_spec: Spec | None, children: list[int]) -> int | None:
    """Read the init's messages until exec (EOF) or ready; raise what it reported.

    With a user namespace the first child asks for its id mappings (``U``,
    answered ``M`` once written) and reports the pid of the PID 1 it forked
    (``P<pid>``), which is appended to ``children`` once that child is reaped.
    """
    master = None
    while True:
        data, fds = seqpacket.recv_fds(sock, 4096, 1)
        for fd in fds:
            master = fd
        if not data or (data == b"R" and wait_ready):
            return master
        if data == b"U" and userns_spec is not None:
            _map_ids(sock, userns_spec, children[0], container_id)
        elif data.startswith(b"P") and userns_spec is not None:
            os.waitpid(children[0], 0)  # it exits right after saying this
            children[:] = [int(data[1:])]
        elif data.startswith(b"E"):
            if master is not None:
                os.close(master)
            kind, err, stage = data[1:].decode(errors="replace").split("\0", 2)
            if userns_spec is not None:
                _drain_for_pid(sock, children)
            raise _init_error(container_id, kind, int(err), stage)


def _drain_for_pid(sock: seqpacket.Socket, children: list[int]) -> None:
    """PID 1 may report a failure before its parent said its pid: read on to
    EOF, so the caller can reap both."""
    while True:
        data, _ = seqpacket.recv_fds(sock, 4096, 0)
        if not data:
            return
        if data.startswith(b"P"):
            children.append(int(data[1:]))


def _map_ids(sock: seqpacket.Socket, spec: Spec, pid: int, container_id: str) -> None:
    try:
        write_id_maps(pid, list(spec.uid_mappings), list(spec.gid_mappings))
    except OSError as exc:
        sock.send(b"X", seqpacket.MSG_NOSIGNAL)
        raise RuntimeFailure(f"create container {container_id}: write uid_map/gid_map: "
                             f"{exc.strerror or exc}") from exc
    sock.send(b"M", seqpacket.MSG_NOSIGNAL)


def _failure(container_id: str, stage: str, err: int | None) -> RuntimeFailure:
    reason = os.strerror(err or errno.EIO)
    return RuntimeFailure(f"create container {container_id}: {stage}: "
                          f"{reason[:1].lower()}{reason[1:]}")


def _init_error(container_id: str, kind: str, err: int, stage: str) -> HullboxError:
    if kind != "exec":
        return _failure(container_id, stage, err)
    if err == 0:
        return CommandNotFound(f'exec "{stage}": executable file not found in $PATH')
    reason = os.strerror(err)
    message = f'exec "{stage}": {reason[:1].lower()}{reason[1:]}'
    if err in (errno.ENOENT, errno.ENOTDIR):
        return CommandNotFound(message)
    return CommandNotInvokable(message)
