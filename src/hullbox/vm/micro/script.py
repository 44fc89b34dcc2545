"""The shell script a restored guest's init runs (busybox sh): mount the
container's root disk, set up /proc /sys /dev and the /etc files, run the
command with the image's environment, working directory and user, and
report its exit code.

The command runs through busybox's ``nsenter -r/-w -S -G``: chroot, chdir,
setgid, setuid and exec in one step, so images without a shell work too.
Its stdout and stderr go to their own virtio ports; when it ends, each port
gets an end marker with a per-run nonce (the exit code on stdout's), so the
host knows it has every byte before it reports the exit.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hullbox.vm.micro.guest import CONSOLE_DEVICE, END_OF_SCRIPT
from hullbox.vm.micro.script_setup import ROOT, mounts, network, ulimits


@dataclass(frozen=True)
class GuestNet:
    """The guest's address on one of its networks (from the container's
    lease); a gateway gives the default route (the first outward network)."""

    address: str   # CIDR, e.g. 10.88.0.5/16
    gateway: str
    mac: str = ""
    template_mac: str = ""  # what the restored guest's interface has (machine.template_mac)


@dataclass(frozen=True)
class GuestCommand:
    """What the run needs from the container's config.json."""

    args: Sequence[str]
    env: Sequence[str]
    cwd: str = "/"
    uid: int = 0
    gid: int = 0
    hostname: str = ""
    interactive: bool = False  # -i: the command reads what the host sends
    terminal: bool = False     # -t: the command runs on the guest's console
    rows: int = 0              # the terminal's size (0: unknown)
    cols: int = 0
    etc_files: Mapping[str, str] = field(default_factory=dict)  # name -> content
    nets: Sequence[GuestNet] = ()  # eth0, eth1... in the container's order
    volumes: Sequence[tuple[str, bool]] = ()  # (destination, read-only) by disk slot
    shares: bool = False                      # volumes are 9p shares, by share slot
    share_files: Sequence[str] = ()           # per share: its file's name ("": a directory)
    tmpfs: Sequence[tuple[str, str]] = ()     # (destination, mount options)
    readonly_root: bool = False               # --read-only
    sysctls: Mapping[str, str] = field(default_factory=dict)
    rlimits: Sequence[tuple[str, int, int]] = ()  # (RLIMIT_NAME, soft, hard)

    @classmethod
    def from_oci(cls, spec: Mapping[str, Any], etc_files: Mapping[str, str],
                 interactive: bool, nets: Sequence[GuestNet] = (),
                 terminal: bool = False, volumes: Sequence[tuple[str, bool]] = (),
                 tmpfs: Sequence[tuple[str, str]] = ()) -> GuestCommand:
        process = spec.get("process", {})
        user = process.get("user", {})
        rlimits = [(item["type"], int(item["soft"]), int(item["hard"]))
                   for item in process.get("rlimits") or []]
        return cls(args=list(process.get("args", [])), env=list(process.get("env", [])),
                   readonly_root=bool(spec.get("root", {}).get("readonly")),
                   sysctls=dict(spec.get("linux", {}).get("sysctl") or {}), rlimits=rlimits,
                   cwd=process.get("cwd") or "/", uid=int(user.get("uid", 0)),
                   gid=int(user.get("gid", 0)), hostname=spec.get("hostname", ""),
                   interactive=interactive, terminal=terminal, etc_files=dict(etc_files),
                   nets=list(nets), volumes=list(volumes), tmpfs=list(tmpfs))


def end_marker(nonce: str) -> bytes:
    """What precedes the exit code on the stdout port (and ends stderr's)."""
    return b"\0hullbox-exit-" + nonce.encode() + b" "


def _q(value: str) -> str:
    return shlex.quote(value)


def render(command: GuestCommand, nonce: str, *, keep_writes: bool = True,
           mounted: bool = False, upper: bool = False) -> str:
    """The script; every value from the user is quoted. Builtins wherever
    possible: each process a TCG guest starts costs tens of milliseconds.
    ``keep_writes`` syncs the disk before the exit is reported; ``mounted``
    is a guest restored from an image snapshot, its root mounted already;
    ``upper`` (with it) puts the root's writes on the container's own disk."""
    root = ROOT
    fail = "printf 'hullbox: %s\\n' \"$1\" >&5; code=125"
    lines = [
        "exec 4>/dev/hullbox.out 5>/dev/hullbox.err",
        f"fail() {{ {fail}; }}",
        "code=0",
    ]
    if not mounted:
        lines += ["bind_disk",
                  "mount -a -T /etc/fstab 2>&5 || fail 'cannot mount the root disk in the microVM'"]
    elif upper:
        lines.append("mount_upper 2>&5 || fail 'cannot mount the container disk in the microVM'")
    if command.nets:
        lines += [f"[ $code = 0 ] && {line}" for line in network(command.nets)]
    if command.hostname:
        lines.append(f"printf '%s' {_q(command.hostname)} >/proc/sys/kernel/hostname")
    lines += mounts(command)
    for name, content in sorted(command.etc_files.items()):
        lines.append(f"[ -d {root}/etc ] && printf '%s' {_q(content)} >{root}/etc/{name}")
    for key, value in sorted(command.sysctls.items()):
        path = "/proc/sys/" + key.replace(".", "/")
        lines.append(f"[ $code = 0 ] && {{ printf '%s' {_q(value)} >{_q(path)} || "
                     f"fail {_q(f'cannot set sysctl {key} in the microVM')}; }}")
    if command.readonly_root:
        lines.append(f"[ $code = 0 ] && {{ mount -o remount,ro {root} 2>&5 || "
                     "fail 'cannot make the root read-only in the microVM'; }")
    cwd = command.cwd if command.cwd.startswith("/") else "/" + command.cwd
    credentials = f"-S {command.uid} -G {command.gid} " if (command.uid, command.gid) != (0, 0) \
        else ""
    env = " ".join(_q(item) for item in command.env)
    args = " ".join(_q(arg) for arg in command.args)
    marker = "\\000hullbox-exit-" + nonce + " "
    workdir = _q(root + cwd)
    launch = f"env -i {env} /bin/nsenter -F -r{root} -w{workdir} {credentials}-- {args}"
    if command.terminal:
        # a session of its own with the console as its terminal: ^C there
        # signals it, and its last output is on the console before the marker
        launch = f"setsid -c {launch}"
        stdio = f"<>{CONSOLE_DEVICE} >&0 2>&0"
    else:
        stdio = f"<{'/dev/hullbox.in' if command.interactive else '/dev/null'} >&4 2>&5"
    # the console's size lives while it is open: set it on the command's descriptor
    size = f"stty rows {command.rows:d} cols {command.cols:d}; " \
        if command.terminal and command.rows and command.cols else ""
    lines.append(f"[ $code = 0 ] && ! [ -d {workdir} ] && mkdir -p {workdir}")
    lines += [
        "if [ $code = 0 ]; then",
        # In the foreground, not '&': a background command would start with
        # SIGINT and SIGQUIT ignored. The subshell learns its pid from
        # /proc/self (read, a builtin) so the signal relay can reach it.
        f"    ( read -r pid _ </proc/self/stat; echo $pid >/run/child; {size}{ulimits(command)}",
        f"      exec {launch} ) {stdio} 3>&- 4>&- 5>&-",
        "    code=$?",
        "fi",
        *(["sync"] if keep_writes else []),
        *([f"printf '{marker}\\n' >{CONSOLE_DEVICE}"] if command.terminal else []),
        f"printf '{marker}\\n' >&5",
        f"printf '{marker}%d\\n' $code >&4",
        END_OF_SCRIPT,
    ]
    return "\n".join(lines) + "\n"


def command_to_json(command: GuestCommand) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(command)


def command_from_json(data: dict[str, Any]) -> GuestCommand:
    return GuestCommand(**{**data, "nets": [GuestNet(**net) for net in data.get("nets", [])]})
