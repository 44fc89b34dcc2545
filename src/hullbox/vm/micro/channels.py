"""The sockets between hullbox and a microVM's QEMU, and QEMU's launch.

Every channel is a socketpair whose guest end QEMU inherits (``fd=`` on its
command line): no socket paths to clean up, no length limit, and no window
in which the guest writes before hullbox listens.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from hullbox.errors import MachineFailure
from hullbox.linux.caps import PR_SET_PDEATHSIG, prctl
from hullbox.linux.namespaces import CLONE_NEWNET, setns
from hullbox.vm.micro.guest import CONSOLE, PORTS


@dataclass
class Channels:
    """Host ends by port name (and ``qmp``); ``guest_fds`` go to QEMU."""

    host: dict[str, socket.socket] = field(default_factory=dict)
    guest: dict[str, socket.socket] = field(default_factory=dict)

    @classmethod
    def make(cls) -> Channels:
        channels = cls()
        for name in (*PORTS, CONSOLE, "qmp"):
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            channels.host[name], channels.guest[name] = ours, theirs
        return channels

    def guest_fds(self) -> dict[str, int]:
        return {name: sock.fileno() for name, sock in self.guest.items()}

    def close_guest_ends(self) -> None:
        """Once QEMU has its copies: EOF then means QEMU is gone."""
        for sock in self.guest.values():
            sock.close()

    def close(self) -> None:
        self.close_guest_ends()
        for sock in self.host.values():
            sock.close()


def _die_with_parent() -> None:
    # QEMU must not outlive whoever runs the microVM, even one killed with SIGKILL.
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def launch_qemu(argv: list[str], channels: Channels, log: Path,
                netns: str = "") -> subprocess.Popen[bytes]:
    """Start QEMU with the guest ends of ``channels``, in ``netns`` if given
    (it opens its tap there); its own messages go to ``log``."""
    netns_fd = os.open(netns, os.O_RDONLY | os.O_CLOEXEC) if netns else -1

    def prepare() -> None:
        _die_with_parent()
        if netns_fd >= 0:
            setns(netns_fd, CLONE_NEWNET)

    with log.open("wb") as output:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=output,
                                    stderr=output, pass_fds=tuple(channels.guest_fds().values()),
                                    preexec_fn=prepare)
        except FileNotFoundError:
            raise MachineFailure(f"{argv[0]} not found; install qemu-system-x86") from None
        finally:
            if netns_fd >= 0:
                os.close(netns_fd)
    channels.close_guest_ends()
    return proc


def stop_qemu(proc: subprocess.Popen[bytes]) -> None:
    """The guest's work is done or abandoned: no shutdown to wait for."""
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def last_words(log: Path, console: Path) -> str:
    """Why a microVM ended early: QEMU's own message, else the guest's last
    console lines (a panic says so there)."""
    for path, prefix in ((log, "qemu: "), (console, "guest console: ")):
        try:
            text = path.read_bytes()[-4096:].decode(errors="replace")
        except OSError:
            continue
        lines = [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip()]
        if lines:
            return prefix + lines[-1].removeprefix("qemu-system-x86_64: ")
    return "no message"

