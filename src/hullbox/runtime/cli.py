"""hullbox-runtime: a runc-compatible command line over the runtime library.

    hullbox-runtime [--root DIR] create [--bundle DIR] [--pid-file F] [--console-socket S] ID
    hullbox-runtime start ID | state ID | kill ID [SIGNAL] | delete [--force] ID | list
    hullbox-runtime run [--bundle DIR] [--pid-file F] [-d] ID
    hullbox-runtime exec [--process F | -t -e K=V --cwd D -u UID[:GID]] [-d] ID [ARGS...]

Exit codes as runc: 0, 1 for a runtime error, or the container's status for run.
argparse, not click, and str paths, not pathlib, to keep the import path (and so
`run`) lean.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import signal
import sys

from hullbox.errors import HullboxError
from hullbox.runtime import state as st
from hullbox.runtime.fds import preserve

DEFAULT_ROOT = "/run/hullbox-runtime"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hullbox-runtime", description="OCI runtime")
    p.add_argument("--root", default=DEFAULT_ROOT, help="state directory")
    p.add_argument("--log", help="ignored (runc compatibility)")
    p.add_argument("--log-format", help="ignored (runc compatibility)")
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("create", "run"):
        c = sub.add_parser(name)
        c.add_argument("--bundle", "-b", default=".")
        c.add_argument("--pid-file")
        c.add_argument("--console-socket")
        c.add_argument("--preserve-fds", type=int, default=0,
                       help="pass descriptors 3..3+N-1 to the container's process (runc's)")
        if name == "run":
            c.add_argument("--detach", "-d", action="store_true")
        c.add_argument("id")
    for name in ("start", "state"):
        sub.add_parser(name).add_argument("id")
    k = sub.add_parser("kill")
    k.add_argument("--all", "-a", action="store_true")
    k.add_argument("id")
    k.add_argument("signal", nargs="?", default="TERM")
    d = sub.add_parser("delete")
    d.add_argument("--force", "-f", action="store_true")
    d.add_argument("id")
    sub.add_parser("list").add_argument("--format", "-f", default="table")
    _exec_parser(sub.add_parser("exec"))
    return p


def _exec_parser(e: argparse.ArgumentParser) -> None:
    e.add_argument("--process", "-p", help="process.json to run (else config.json's)")
    e.add_argument("--tty", "-t", action="store_true")
    e.add_argument("--detach", "-d", action="store_true")
    e.add_argument("--cwd")
    e.add_argument("--env", "-e", action="append", default=[])
    e.add_argument("--user", "-u")
    e.add_argument("--pid-file")
    e.add_argument("--console-socket")
    e.add_argument("id")
    e.add_argument("args", nargs=argparse.REMAINDER)


def _exec(args: argparse.Namespace) -> int:
    from hullbox.runtime.exec import exec_process, load_process, spawn_exec

    process = load_process(args.root, args.id, args.process, args=args.args,
                           tty=True if args.tty else None, cwd=args.cwd, env=args.env,
                           user=args.user)
    if not args.detach:
        pid_file: str | None = args.pid_file

        def write_pid(pid: int) -> None:
            if pid_file is not None:
                _write_pid_file(pid_file, pid)

        return exec_process(args.root, args.id, process, on_start=write_pid).exit_code
    if process.terminal and args.console_socket is None:
        raise HullboxError("cannot allocate tty if runc will detach without setting "
                           "console socket")
    proc = spawn_exec(args.root, args.id, process, stdio=(0, 1, 2))
    if proc.master is not None:
        import socket

        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(args.console_socket)
            socket.send_fds(sock, [b"/dev/ptmx"], [proc.master])
        os.close(proc.master)
    if args.pid_file is not None:
        _write_pid_file(args.pid_file, proc.pid)
    return 0


def parse_signal(value: str) -> int:
    """``9``, ``KILL`` or ``SIGKILL`` -> 9."""
    if value.isdigit():
        return int(value)
    name = value.upper()
    try:
        return int(signal.Signals[name if name.startswith("SIG") else "SIG" + name])
    except KeyError:
        raise HullboxError(f"unknown signal {value!r}") from None


def _write_pid_file(pid_file: str, pid: int) -> None:
    with open(pid_file, "w") as f:
        f.write(str(pid))


def _create(root: str, bundle: str, container_id: str, pid_file: str | None,
            console_socket: str | None, preserve_fds: int = 0) -> int:
    from hullbox.runtime.run import created_now, load_spec, make_state_dir
    from hullbox.runtime.spawn import spawn

    bundle = os.path.realpath(bundle)
    spec = load_spec(bundle, container_id)
    preserve(spec.annotations, preserve_fds)
    if spec.process.terminal and console_socket is None:
        raise HullboxError("cannot allocate tty if runc will detach without setting "
                           "console socket")
    directory = make_state_dir(root, container_id)
    try:
        fifo = os.path.join(directory, st.EXEC_FIFO)
        os.mkfifo(fifo, 0o622)
        proc = spawn(spec, bundle, container_id, stdio=(0, 1, 2), exec_fifo=fifo)
        if proc.master is not None and console_socket is not None:
            import socket  # terminal mode only: the module costs ~4 ms to import

            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.connect(console_socket)
                socket.send_fds(sock, [b"/dev/ptmx"], [proc.master])
            os.close(proc.master)
        st.write_state(root, st.State(
            container_id, proc.pid, bundle, proc.cgroup.path if proc.cgroup else "",
            st.process_start_time(proc.pid) or 0, created_now(), spec.annotations))
    except BaseException:
        st.remove_state(root, container_id)
        raise
    if pid_file is not None:
        _write_pid_file(pid_file, proc.pid)
    return 0


def _start(root: str, container_id: str) -> int:
    state = st.read_state(root, container_id)
    if st.status(root, state) != "created":
        raise HullboxError(f"cannot start a container that is {st.status(root, state)}")
    fifo = os.path.join(st.state_dir(root, container_id), st.EXEC_FIFO)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    pidfd = os.pidfd_open(state.pid)
    try:
        # Wait for the init's byte, or for the init to die (its pidfd turns readable).
        ready, _, _ = select.select([fd, pidfd], [], [])
        data = os.read(fd, 1) if fd in ready else b""
    finally:
        os.close(fd)
        os.close(pidfd)
    os.unlink(fifo)
    if not data:
        raise HullboxError(f"container {container_id} died before it could start")
    return 0


def _kill(root: str, container_id: str, sig: int) -> int:
    state = st.read_state(root, container_id)
    if st.status(root, state) == "stopped":
        raise HullboxError("container not running")
    os.kill(state.pid, sig)
    return 0


def _wait_gone(pid: int) -> None:
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        select.select([pidfd], [], [])
    finally:
        os.close(pidfd)


def _delete(root: str, container_id: str, force: bool) -> int:
    from hullbox.runtime.cgroups import open_cgroup

    state = st.read_state(root, container_id)
    current = st.status(root, state)
    if current == "running" and not force:
        raise HullboxError(f"cannot delete container {container_id} that is not stopped: "
                           "running")
    if current != "stopped":
        with contextlib.suppress(ProcessLookupError):
            os.kill(state.pid, signal.SIGKILL)
        _wait_gone(state.pid)
    if state.cgroups_path:
        open_cgroup(state.cgroups_path).destroy()
    st.remove_state(root, container_id)
    return 0


def _list(root: str, fmt: str) -> int:
    states = []
    if os.path.isdir(root):
        for entry in sorted(os.listdir(root)):
            try:
                states.append(st.oci_state(root, st.read_state(root, entry)))
            except HullboxError:
                continue
    if fmt == "json":
        print(json.dumps(states))
        return 0
    print(f"{'ID':<20}{'PID':<10}{'STATUS':<10}{'BUNDLE':<40}CREATED")
    for s in states:
        print(f"{s['id']!s:<20}{s['pid']!s:<10}{s['status']!s:<10}{s['bundle']!s:<40}"
              f"{s['created']}")
    return 0


def _run(args: argparse.Namespace) -> int:
    if args.detach:
        _create(args.root, args.bundle, args.id, args.pid_file, args.console_socket,
                args.preserve_fds)
        return _start(args.root, args.id)
    from hullbox.runtime.run import run_container

    pid_file: str | None = args.pid_file

    def write_pid(pid: int) -> None:
        if pid_file is not None:
            _write_pid_file(pid_file, pid)

    status = run_container(args.bundle, args.id, state_root=args.root, on_start=write_pid,
                           preserve_fds=args.preserve_fds)
    return status.exit_code


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns (and exits with) runc's exit codes."""
    args = _parser().parse_args(argv)
    root: str = args.root
    try:
        if args.command == "create":
            code = _create(root, args.bundle, args.id, args.pid_file, args.console_socket,
                           args.preserve_fds)
        elif args.command == "run":
            code = _run(args)
        elif args.command == "start":
            code = _start(root, args.id)
        elif args.command == "state":
            print(json.dumps(st.oci_state(root, st.read_state(root, args.id)), indent=2))
            code = 0
        elif args.command == "kill":
            code = _kill(root, args.id, parse_signal(args.signal))
        elif args.command == "delete":
            code = _delete(root, args.id, args.force)
        elif args.command == "exec":
            code = _exec(args)
        else:
            code = _list(root, args.format)
    except (HullboxError, OSError) as exc:
        print(f"hullbox-runtime: {exc}", file=sys.stderr)
        code = (exc.exit_code if args.command in ("run", "exec") and isinstance(exc, HullboxError)
                else 1)
    sys.exit(code)
