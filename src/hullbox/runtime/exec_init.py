"""The exec'd process's half: runs in the forked child, from fork to execve.

It joins what the parent opened for it before the fork: the container's
cgroup (cgroup.procs descriptors), then its namespaces (user first, mount
last), and then takes on the ``process`` of the exec request exactly as the
container's init does (rlimits, credentials, capabilities, no_new_privs,
cwd, PATH search). It reports over the same SOCK_SEQPACKET protocol as the
init (``T`` + pty master, ``E<kind>\\0<errno>\\0<stage>``). As in init.py,
nothing is imported after the fork: once in the container's mount
namespace the interpreter cannot find modules.
"""

from __future__ import annotations

import errno
import os
import signal

from hullbox.linux.namespaces import setns
from hullbox.linux.seqpacket import Socket, send_fds
from hullbox.linux.tty import open_pty, set_controlling_tty
from hullbox.runtime import security

# The lookup and exec steps are the container init's own, so an exec'd
# process is set up the same way as PID 1 (and gains what init gains).
from hullbox.runtime.init import (
    InitContext,
    _dup_stdio,
    _exec,
    _lookup,
    _report,
    _setrlimit,
    _Stage,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn


class ExecContext:
    """What the child needs, opened by the parent before the fork."""

    __slots__ = ("cgroup_procs", "init", "namespaces")

    def __init__(self, init: InitContext, cgroup_procs: list[int],
                 namespaces: list[tuple[str, int, int]]) -> None:
        self.init = init  # spec (with the exec's process), sync socket, stdio
        self.cgroup_procs = cgroup_procs  # open cgroup.procs fds of the container
        self.namespaces = namespaces  # (name, fd, CLONE_* flag), in joining order


def exec_init(ctx: ExecContext) -> NoReturn:
    """Join the container and exec the process; never returns."""
    stage = _Stage()
    sync = ctx.init.sync
    try:
        path = _join(ctx, stage)
        _exec(ctx.init, path)
    except OSError as exc:
        kind = "cwd" if stage.name.startswith("chdir") else "setup"
        _report(sync, kind, exc.errno or errno.EIO, stage.name)
    except BaseException:
        _report(sync, "setup", errno.EIO, stage.name)
    os._exit(1)


def _join(ctx: ExecContext, stage: _Stage) -> str | None:
    """Everything up to the exec; the resolved command (None: reported missing)."""
    spec = ctx.init.spec
    for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    os.setsid()
    # The cgroup first: its namespace (joined below) is rooted at the
    # container's group, so /proc/self/cgroup then reads as PID 1's does.
    stage.name = "join cgroup"
    for fd in ctx.cgroup_procs:
        os.write(fd, b"0")
        os.close(fd)
    if not spec.process.terminal:
        stage.name = "set up stdio"
        _dup_stdio(ctx.init.stdio)
    for name, fd, flag in ctx.namespaces:
        stage.name = f"join {name} namespace"
        setns(fd, flag)
        os.close(fd)
    if spec.process.terminal:
        stage.name = "set up console"
        _open_console(ctx.init.sync)
    for rl in spec.process.rlimits:
        stage.name = f"setrlimit {rl.type}"
        _setrlimit(rl.type, rl.soft, rl.hard)
    stage.name = "load seccomp filter"
    security.load_seccomp_early(spec.process, ctx.init.seccomp)
    stage.name = "set credentials"
    security.set_credentials(spec.process)
    os.umask(spec.process.user.umask if spec.process.user.umask is not None else 0o022)
    stage.name = f"chdir to cwd {spec.process.cwd}"
    os.chdir(spec.process.cwd)
    stage.name = "find the command"
    command = _lookup(ctx.init)
    if command is None:
        return None
    stage.name = "load seccomp filter"
    security.load_seccomp_late(spec.process, ctx.init.seccomp)
    stage.name = "exec"
    return command


def _open_console(sync: Socket) -> None:
    """A pty from the container's devpts for this process alone (unlike the
    init, /dev/console stays the container's); the master goes to the parent."""
    master, slave, _name = open_pty("/dev/ptmx")
    set_controlling_tty(slave)
    for target in (0, 1, 2):
        os.dup2(slave, target)
    os.close(slave)
    send_fds(sync, b"T", [master])
    os.close(master)
