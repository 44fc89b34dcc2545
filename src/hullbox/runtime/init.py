"""The container's init half: runs in the forked child, from fork to execve.

It reports over a SOCK_SEQPACKET socket (close-on-exec, so a successful exec
closes it): ``T`` + the pty master fd in terminal mode, ``R`` when it is
blocked on the exec fifo (create), ``E<kind>\\0<errno>\\0<stage>`` on failure.
Code here stays plain: no threads exist, nothing logs, every failure is caught
and reported with the stage that was running, and the child always _exits.
Everything it uses is imported at the top, before fork: after pivot_root the
interpreter can no longer find modules, so no import may be deferred to here.
"""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import signal
import stat

from hullbox.linux import mounts as m
from hullbox.linux.namespaces import (
    CLONE_NEWCGROUP,
    CLONE_NEWPID,
    NAMESPACE_FLAGS,
    setns,
    unshare,
)
from hullbox.linux.net import set_link_up, setdomainname, sethostname
from hullbox.linux.seqpacket import MSG_NOSIGNAL, Socket, send_fds
from hullbox.linux.tty import open_pty, set_controlling_tty
from hullbox.runtime import devices, mounts, security
from hullbox.runtime.fds import pass_descriptors
from hullbox.runtime.userns_init import bind_cwd, enter_userns

# Only for the type checker: typing and the spec's classes are not needed to run this.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

    from hullbox.linux.seccomp import Program
    from hullbox.oci.runtime_spec import Spec
    from hullbox.runtime.cgroups import Cgroup

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class InitContext:
    """What the child needs; built by the parent before fork."""

    __slots__ = (
        "await_cgroup",
        "bundle",
        "cgroup",
        "cgroup_procs",
        "exec_fifo",
        "mounts",
        "nested",
        "new_cgroupns",
        "rootfs",
        "seccomp",
        "spec",
        "stdio",
        "sync",
        "trees",
    )

    def __init__(self, spec: Spec, bundle: str, rootfs: str, sync: Socket,
                 stdio: tuple[int, int, int], cgroup: Cgroup | None = None,
                 cgroup_procs: list[int] | None = None, exec_fifo: str | None = None,
                 seccomp: Program | None = None) -> None:
        self.spec = spec
        self.bundle = bundle
        self.rootfs = rootfs
        self.sync = sync
        self.stdio = stdio
        self.cgroup = cgroup
        self.cgroup_procs = [] if cgroup_procs is None else cgroup_procs  # open cgroup.procs fds
        self.exec_fifo = exec_fifo
        self.seccomp = seccomp  # compiled by the parent: libseccomp is not reachable here
        self.mounts = spec.mounts  # with a user namespace: bind sources as opened fds
        self.trees: list[int | None] = []  # and those fds, by mount index
        self.nested = False  # in a user namespace already (rootless): fork PID 1 here
        # The parent moves us into the cgroup meanwhile (spawn.py) and says
        # ``G`` when done: wait for it before the cgroup namespace and exec.
        self.await_cgroup = False
        self.new_cgroupns = False  # unshared once in the cgroup (_join_cgroup)


class _Stage:
    """The name of the step running now, reported if it fails."""

    name = "init"


def _report(sock: Socket, kind: str, err: int, stage: str) -> None:
    # the parent may be gone (create already returned): then there is nobody to tell
    with contextlib.suppress(OSError):
        sock.send(f"E{kind}\0{err}\0{stage}".encode(), MSG_NOSIGNAL)


def container_init(ctx: InitContext) -> NoReturn:
    """Set the container up and exec its process; never returns."""
    stage = _Stage()
    try:
        path = _setup(ctx, stage)
        _exec(ctx, path)
    except OSError as exc:
        _report(ctx.sync, "setup", exc.errno or errno.EIO, stage.name)
    except BaseException:  # anything else is still this stage failing
        _report(ctx.sync, "setup", errno.EIO, stage.name)
    os._exit(1)


def _setup(ctx: InitContext, stage: _Stage) -> str | None:
    """Everything up to the exec; returns the resolved path of the command (None
    when the lookup failed and was reported)."""
    spec = ctx.spec
    # Python ignores SIGPIPE and SIGXFSZ; an exec keeps ignored signals ignored.
    for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    stage.name = "join cgroup"
    for fd in ctx.cgroup_procs:
        os.write(fd, b"0")
        os.close(fd)
    if spec.process.oom_score_adj is not None:  # inherited by PID 1 if it forks later
        stage.name = f"set oom_score_adj {spec.process.oom_score_adj}"
        _write_file("/proc/self/oom_score_adj", str(spec.process.oom_score_adj))
    if not spec.process.terminal:
        stage.name = "set up stdio"
        _dup_stdio(ctx.stdio)
    stage.name = "close inherited descriptors"
    pass_descriptors(spec.annotations)
    userns = spec.namespace("user") is not None or ctx.nested
    flags = _join_namespaces(spec, stage, userns)
    os.chdir(ctx.bundle)  # relative bind sources are relative to the bundle
    if userns:
        enter_userns(ctx, stage, flags)  # returns in the container's PID 1
    else:
        stage.name = "create namespaces"
        if ctx.await_cgroup:
            # rooted at the cgroup the parent is moving us into: later
            ctx.new_cgroupns = bool(flags & CLONE_NEWCGROUP)
            flags &= ~CLONE_NEWCGROUP
        unshare(flags & ~CLONE_NEWPID)
    os.setsid()
    os.umask(0)
    new = {ns.type for ns in spec.namespaces if not ns.path}
    if spec.namespace("mount") is not None:
        _prepare_rootfs(ctx, stage, new)
    if spec.hostname and "uts" in new:
        stage.name = "sethostname"
        sethostname(spec.hostname)
    if spec.domainname and "uts" in new:
        stage.name = "setdomainname"
        setdomainname(spec.domainname)
    if "network" in new:
        stage.name = "bring up loopback"
        set_link_up("lo")
    _join_cgroup(ctx, stage)
    for key, value in spec.sysctl.items():
        stage.name = f"sysctl {key}"
        with open("/proc/sys/" + key.replace(".", "/"), "w") as f:
            f.write(value)
    if spec.namespace("mount") is not None:
        for path in spec.readonly_paths:
            stage.name = f"make {path} read-only"
            mounts.readonly_path(path)
        for path in spec.masked_paths:
            stage.name = f"mask {path}"
            mounts.mask_path(path)
        if spec.root_readonly:
            stage.name = "remount / read-only"
            m.mount(None, "/", None, m.MS_BIND | m.MS_REMOUNT | m.MS_RDONLY)
    for rl in spec.process.rlimits:
        stage.name = f"setrlimit {rl.type}"
        _setrlimit(rl.type, rl.soft, rl.hard)
    stage.name = "load seccomp filter"
    security.load_seccomp_early(spec.process, ctx.seccomp)
    stage.name = "set credentials"
    security.set_credentials(spec.process)
    os.umask(spec.process.user.umask if spec.process.user.umask is not None else 0o022)
    stage.name = f"chdir {spec.process.cwd}"
    os.chdir(spec.process.cwd)
    stage.name = "find the command"
    command = _lookup(ctx)
    if command is None:
        return None
    if ctx.exec_fifo is not None:
        stage.name = "wait for start"
        ctx.sync.send(b"R", MSG_NOSIGNAL)
        fd = os.open(ctx.exec_fifo, os.O_WRONLY | os.O_CLOEXEC)
        os.write(fd, b"0")
        os.close(fd)
    stage.name = "load seccomp filter"
    security.load_seccomp_late(spec.process, ctx.seccomp)
    stage.name = "exec"
    return command


def _join_cgroup(ctx: InitContext, stage: _Stage) -> None:
    """Once the parent has moved us into the cgroup, make the cgroup
    namespace (if the spec asks for one); a no-op after the first call."""
    if not ctx.await_cgroup:
        return
    stage.name = "join cgroup"
    if ctx.sync.recv(16) != b"G":
        raise OSError(errno.EIO, "the parent did not move the container into its cgroup")
    ctx.await_cgroup = False
    if ctx.new_cgroupns:
        stage.name = "create cgroup namespace"
        unshare(CLONE_NEWCGROUP)


def _join_namespaces(spec: Spec, stage: _Stage, userns: bool) -> int:
    """setns into the spec's namespaces given by path (not the user namespace,
    joined later); returns the CLONE_* flags of those to create."""
    flags = 0
    for ns in spec.namespaces:
        if ns.type == "user" or (ns.type == "pid" and not userns):
            continue  # without a user namespace the parent forked us into the pid one
        if ns.path:
            stage.name = f"join {ns.type} namespace {ns.path}"
            fd = os.open(ns.path, os.O_RDONLY | os.O_CLOEXEC)
            setns(fd, NAMESPACE_FLAGS[ns.type])
            os.close(fd)
        else:
            flags |= NAMESPACE_FLAGS[ns.type]
    return flags


def _write_file(path: str, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _dup_stdio(stdio: tuple[int, int, int]) -> None:
    # dup first so that a mapping like stdout=2, stderr=1 does not clobber itself
    high = [os.dup(fd) for fd in stdio]
    for target, fd in enumerate(high):
        os.dup2(fd, target)  # inheritable: these three survive exec
        os.close(fd)


def _prepare_rootfs(ctx: InitContext, stage: _Stage, new: set[str]) -> None:
    spec = ctx.spec
    rootfs = ctx.rootfs
    stage.name = "make / private"
    m.mount(None, "/", None, mounts.PROPAGATION.get(spec.rootfs_propagation or "rprivate",
                                                    m.MS_PRIVATE | m.MS_REC))
    stage.name = f"bind {rootfs}"
    if rootfs == ".":
        bind_cwd()
    else:
        m.mount(rootfs, rootfs, None, m.MS_BIND | m.MS_REC)
    cg = ctx.cgroup
    for index, entry in enumerate(ctx.mounts):
        if entry.type == "cgroup":
            _join_cgroup(ctx, stage)  # the mount is rooted at our cgroup namespace
        stage.name = f"mount {entry.destination}"
        # A network namespace joined by path (the engine's bridge setup) is the
        # container's own as much as a new one: its sysfs is mountable.
        mounts.mount_entry(rootfs, entry, new_netns=spec.namespace("network") is not None,
                           new_ipcns="ipc" in new,
                           cgroup_dirs=cg.dirs if cg else {}, cgroupns="cgroup" in new,
                           cgroup_v2=bool(cg and cg.v2),
                           tree=ctx.trees[index] if ctx.trees else None)
    stage.name = "create devices"
    devices.create_devices(rootfs, spec.devices)
    stage.name = f"create cwd {spec.process.cwd}"
    os.umask(0o022)
    os.makedirs(mounts.secure_join(rootfs, spec.process.cwd), exist_ok=True)
    if ctx.exec_fifo is not None and not ctx.exec_fifo.startswith("/proc/self/fd/"):
        # The fifo is outside the rootfs: hold it by an O_PATH fd, reopen via /proc later.
        fifo = os.open(ctx.exec_fifo, os.O_PATH | os.O_CLOEXEC)
        ctx.exec_fifo = f"/proc/self/fd/{fifo}"
    stage.name = "pivot_root"
    mounts.pivot_into(rootfs)
    if spec.process.terminal:
        stage.name = "set up console"
        _setup_console(ctx.sync)


def _setup_console(sync: Socket) -> None:
    """A pty from the container's own devpts: stdio + /dev/console, master to the parent."""
    master, slave, name = open_pty("/dev/ptmx")
    if not os.path.exists("/dev/console"):
        os.close(os.open("/dev/console", os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0))
    m.mount(name, "/dev/console", None, m.MS_BIND)
    set_controlling_tty(slave)
    for target in (0, 1, 2):
        os.dup2(slave, target)
    os.close(slave)
    send_fds(sync, b"T", [master])
    os.close(master)


def _setrlimit(name: str, soft: int, hard: int) -> None:
    kind = getattr(resource, name)
    # config.json writes RLIM_INFINITY as 2^64-1; Python spells it -1
    soft, hard = (resource.RLIM_INFINITY if v >= 2**63 else v for v in (soft, hard))
    try:
        resource.setrlimit(kind, (soft, hard))
    except (ValueError, OSError):
        # Raising a hard limit needs CAP_SYS_RESOURCE: clamp to what we have.
        cur_hard = resource.getrlimit(kind)[1]
        if cur_hard != resource.RLIM_INFINITY:
            hard = min(hard, cur_hard) if hard != resource.RLIM_INFINITY else cur_hard
            soft = min(soft, hard) if soft != resource.RLIM_INFINITY else hard
        resource.setrlimit(kind, (soft, hard))


def _lookup(ctx: InitContext) -> str | None:
    """The file to exec: args[0] if it has a slash, else the first executable
    regular file of that name on the container's PATH (Go's exec.LookPath, as
    runc). Reports and returns None when there is none."""
    args = ctx.spec.process.args
    if not args:
        _report(ctx.sync, "exec", errno.ENOENT, "")
        return None
    name = args[0]
    if "/" in name:
        return name
    env_path = DEFAULT_PATH
    for entry in ctx.spec.process.env:
        if entry.startswith("PATH="):
            env_path = entry[5:]
    for directory in env_path.split(":"):
        candidate = os.path.join(directory or ".", name)
        try:
            st = os.stat(candidate)
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode) and st.st_mode & 0o111:
            return candidate
    _report(ctx.sync, "exec", 0, name)  # errno 0: not found in $PATH
    return None


def _exec(ctx: InitContext, path: str | None) -> None:
    """execve the resolved command; reports why it failed."""
    if path is None:
        return
    args = list(ctx.spec.process.args)
    env = {}
    for entry in ctx.spec.process.env:
        key, _, value = entry.partition("=")
        env[key] = value
    try:
        os.execve(path, args, env)
    except OSError as exc:
        err = exc.errno or errno.EIO
        if "/" in args[0] and err != errno.ENOENT and os.path.isdir(path):
            err = errno.EACCES
        _report(ctx.sync, "exec", err, path)
