"""``--network slirp4netns``: user-mode networking, the default in rootless mode.

An ordinary user cannot make bridges or veths, so the container's network
namespace gets a tap device whose other end is slirp4netns (Debian's
``slirp4netns``), a process in the host's network namespace that turns the
container's packets into ordinary sockets of the user. As with Podman: the
container is 10.0.2.100 on 10.0.2.0/24, the gateway 10.0.2.2, DNS 10.0.2.3;
``-p`` adds host forwards through slirp4netns's API socket; the host's
loopback (10.0.2.2 -> 127.0.0.1) is closed unless the mode says
``slirp4netns:allow_host_loopback=true``.

The keeper (monitor or foreground ``run``) makes the namespace before the
container starts, so slirp4netns is attached and ready when its process
runs; the runtime joins the namespace by path, as it does a bridge's.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hullbox.engine.options import ContainerOptions
from hullbox.errors import Conflict, InvalidArgument, RuntimeFailure
from hullbox.store.store import Store

# stop() runs in the monitor's exited phase, which stays light: the rest
# (socket, subprocess, json) is imported where a network is made.
if TYPE_CHECKING:
    import socket
    from collections.abc import Callable

    from hullbox.engine.images import ImageService
    from hullbox.engine.rootfs import ContainerPaths
    from hullbox.network.portspec import PortSpec
    from hullbox.store.containers import ContainerRecord

MODE = "slirp4netns"
GUEST, GATEWAY, DNS = "10.0.2.100", "10.0.2.2", "10.0.2.3"
DEFAULT_MTU = 65520  # Podman's: fewer, larger packets through the user-mode stack
READY_TIMEOUT = 10.0
_OPTIONS = "allow_host_loopback=true|false, mtu=N"


@dataclass(frozen=True)
class SlirpMode:
    """What ``--network slirp4netns[:OPTION=VALUE,...]`` asks for."""

    allow_host_loopback: bool = False
    mtu: int = DEFAULT_MTU


def is_slirp(mode: str) -> bool:
    return mode == MODE or mode.startswith(MODE + ":")


def parse_mode(mode: str) -> SlirpMode:
    """The options of the mode; one line naming a bad one."""
    _, _, text = mode.partition(":")
    found: dict[str, Any] = {}
    for item in filter(None, text.split(",")):
        key, _, value = item.partition("=")
        if key == "allow_host_loopback" and value in ("true", "false"):
            found[key] = value == "true"
        elif key == "mtu" and value.isdigit() and 68 <= int(value) <= 65521:
            found[key] = int(value)
        else:
            raise InvalidArgument(f"invalid --network {mode!r}: unknown or bad option "
                                  f"{item!r}; {MODE} takes {_OPTIONS}")
    return SlirpMode(**found)


TUN = "/dev/net/tun"


def unavailable() -> str:
    """"" when slirp4netns can run here, else why not (and what to do)."""
    import shutil

    if shutil.which(MODE) is None:
        return f"{MODE} is not installed (apt-get install {MODE})"
    if not os.access(TUN, os.R_OK | os.W_OK):
        return (f"{TUN} is not open to this user (chmod 0666 {TUN}, as udev does on a "
                "stock Debian)")
    return ""


def binary() -> str:
    import shutil

    why = unavailable()
    if why:
        raise InvalidArgument(f"--network {MODE}: {why}; or use --network none or host")
    return str(shutil.which(MODE))


def validate_create(options: ContainerOptions, specs: list[PortSpec]) -> None:
    """What ``create`` can check before anything is made."""
    parse_mode(options.network)
    binary()
    settings = options.networking
    if settings.ip or settings.aliases:
        flag = "--ip" if settings.ip else "--network-alias"
        raise InvalidArgument(f"{flag} works only on user-defined networks; "
                              f"--network {MODE} gives every container {GUEST}")
    lowest = _lowest_unprivileged_port()
    for spec in specs:
        if ":" in spec.host_ip:
            raise InvalidArgument(f"cannot publish port {spec.container_port}/{spec.proto} on "
                                  f"[{spec.host_ip}]: --network {MODE} publishes IPv4 only")
        if 0 < spec.host_port < lowest:
            raise InvalidArgument(f"cannot publish host port {spec.host_port}: an ordinary "
                                  f"user may bind ports from {lowest} up "
                                  "(sysctl net.ipv4.ip_unprivileged_port_start); choose "
                                  f"another, e.g. -p {spec.host_port + 8000}:"
                                  f"{spec.container_port}")
    from hullbox.network.ports import check_free

    check_free([s for s in specs if s.host_port])


def _lowest_unprivileged_port() -> int:
    if os.geteuid() == 0 and not _in_user_namespace():
        return 0
    try:
        with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 1024


def _in_user_namespace() -> bool:
    from hullbox.linux.userns import in_user_namespace

    return in_user_namespace()


def _runtime_file(container_id: str, suffix: str) -> Path:
    from hullbox.engine.networking import netns_path

    return netns_path(container_id).with_name(f"{container_id}.{suffix}")


def setup(store: Store, images: ImageService, record: ContainerRecord,
          paths: ContainerPaths) -> Callable[[], None]:
    """Make the namespace, attach slirp4netns, add the host forwards, write
    hosts and resolv.conf; returns the undo. On failure nothing is left."""
    from hullbox.engine.networking import disconnect_all, netns_path, port_specs

    options = ContainerOptions.from_json(record.config)
    mode = parse_mode(options.network)
    exposed: dict[str, Any] = {}
    if options.networking.publish_all:
        exposed = images.get(record.image_id).config.config.exposed_ports
    with contextlib.ExitStack() as undo:
        path = netns_path(record.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        undo.callback(disconnect_all, store, record.id)
        stop(store, record.id)  # left by a keeper that was killed
        _create_netns(path)
        exit_end = _start(record.id, path, mode, paths.base)
        undo.callback(exit_end.close)
        _add_forwards(store, record.id, port_specs(options, exposed))
        _write_files(options, record, paths)
        keep = undo.pop_all()
    return keep.close


def _create_netns(path: Path) -> None:
    """A new network namespace pinned at ``path``. A child makes it: in rootless
    mode this process could not go back to the host's namespace."""
    from hullbox.linux import mounts, netns
    from hullbox.linux.namespaces import CLONE_NEWNET, unshare

    netns.remove(str(path))
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o444))
    pid = os.fork()
    if pid == 0:  # pragma: no cover - reported through its exit status
        code = 1
        try:
            unshare(CLONE_NEWNET)
            mounts.mount("/proc/self/ns/net", str(path), None, mounts.MS_BIND)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        os.unlink(path)
        raise RuntimeFailure(f"--network {MODE}: could not make a network namespace")


def _start(container_id: str, path: Path, mode: SlirpMode, log_dir: Path) -> socket.socket:
    """Start slirp4netns on the namespace and wait until it configured tap0;
    returns this side of its exit socket (it exits when that closes)."""
    import select
    import socket
    import subprocess

    ours, theirs = socket.socketpair()
    ready_r, ready_w = os.pipe2(os.O_CLOEXEC)
    api = _runtime_file(container_id, "api")
    with contextlib.suppress(FileNotFoundError):
        api.unlink()
    argv = [binary(), "--configure", f"--mtu={mode.mtu}", "--netns-type=path",
            f"--exit-fd={theirs.fileno()}", f"--ready-fd={ready_w}", f"--api-socket={api}",
            "--enable-sandbox", "--enable-seccomp"]
    if not mode.allow_host_loopback:
        argv.append("--disable-host-loopback")
    log = log_dir / "slirp4netns.log"
    try:
        with open(log, "wb") as err:
            process = subprocess.Popen([*argv, str(path), "tap0"], stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=err,
                                       pass_fds=(theirs.fileno(), ready_w))
    except OSError as exc:
        for fd in (ready_r, ready_w):
            os.close(fd)
        ours.close()
        raise RuntimeFailure(f"--network {MODE}: start {MODE}: {exc.strerror}") from exc
    finally:
        theirs.close()
    _runtime_file(container_id, "slirp").write_text(str(process.pid))
    os.close(ready_w)
    try:
        readable, _, _ = select.select([ready_r], [], [], READY_TIMEOUT)
        ready = bool(readable) and os.read(ready_r, 1) == b"1"
    finally:
        os.close(ready_r)
    if not ready:
        ours.close()
        raise RuntimeFailure(f"--network {MODE}: {MODE} did not configure the network: "
                             f"{_last_line(log)}")
    return ours


def _last_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no message"
    return lines[-1] if lines else f"no message (it exited; see {path})"


def _add_forwards(store: Store, container_id: str, specs: list[PortSpec]) -> None:
    """A host forward per published port, recorded for ``hullbox port``."""
    from hullbox.network.ports import PublishedPort, record, reserve

    published = []
    for spec in specs:
        sock, port = reserve(spec)  # a free port for -p 80 / ranges; slirp4netns binds it
        sock.close()
        reply = _api(container_id, {"execute": "add_hostfwd", "arguments": {
            "proto": spec.proto, "host_addr": spec.host_ip, "host_port": port,
            "guest_addr": GUEST, "guest_port": spec.container_port}})
        if "error" in reply:
            desc = reply["error"].get("desc", reply["error"])
            raise Conflict(f"cannot publish port {spec.host_ip}:{port}/{spec.proto}: {desc}; "
                           f"choose another host port (-p OTHER:{spec.container_port})")
        published.append(PublishedPort(spec.proto, spec.host_ip, port, GUEST,
                                       spec.container_port))
    record(store, container_id, published)


def _api(container_id: str, request: dict[str, Any]) -> dict[str, Any]:
    """One request on slirp4netns's API socket (one per connection)."""
    import json
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC) as conn:
        conn.settimeout(READY_TIMEOUT)
        try:
            conn.connect(str(_runtime_file(container_id, "api")))
            conn.sendall(json.dumps(request).encode())
            conn.shutdown(socket.SHUT_WR)
            data = b""
            while chunk := conn.recv(4096):
                data += chunk
        except OSError as exc:
            raise RuntimeFailure(f"--network {MODE}: its API socket: {exc}") from exc
    try:
        reply: dict[str, Any] = json.loads(data)
    except ValueError:
        raise RuntimeFailure(f"--network {MODE}: its API answered {data[:200]!r}") from None
    return reply


def _write_files(options: ContainerOptions, record: ContainerRecord,
                 paths: ContainerPaths) -> None:
    from hullbox.engine.rootfs import resolv_conf
    from hullbox.network.hosts import parse_add_host, render, write_in_place
    from hullbox.network.hosts import resolv_conf as render_resolv

    settings = options.networking
    extra = []
    for value in settings.add_hosts:
        name, address = parse_add_host(value)
        extra.append((name, GATEWAY if address == "host-gateway" else address))
    write_in_place(paths.etc_file("hosts"),
                   render(options.hostname or record.id[:12], GUEST, [], extra))
    write_in_place(paths.etc_file("resolv.conf"),
                   render_resolv(resolv_conf(False), settings.dns or [DNS],
                                 settings.dns_search, settings.dns_options))


def stop(store: Store, container_id: str) -> None:
    """Stop the container's slirp4netns and forget its forwards; nothing when
    there is none (checked by its command line: the pid may be reused)."""
    pid_file = _runtime_file(container_id, "slirp")
    if not pid_file.exists():
        return  # not a slirp4netns container, or done already
    with contextlib.suppress(OSError, ValueError):
        pid = int(pid_file.read_text())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
        if argv and os.path.basename(argv[0]) == MODE.encode() and any(
                container_id.encode() in arg for arg in argv):
            os.kill(pid, 9)  # SIGKILL: nothing of it needs saving
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
    with store.transaction() as conn:
        conn.execute("DELETE FROM published_ports WHERE container_id=?", (container_id,))
    for suffix in ("api", "slirp"):  # the pid file last: it marks what is left to do
        with contextlib.suppress(FileNotFoundError):
            _runtime_file(container_id, suffix).unlink()
