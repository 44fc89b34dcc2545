"""One microVM run: restore the template into a new QEMU, hand the waiting
init its script, relay the command's output, forward signals, and return
its exit code once every byte of output has arrived."""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from hullbox.errors import MachineFailure
from hullbox.vm.micro.channels import Channels, last_words, launch_qemu, stop_qemu
from hullbox.vm.micro.machine import GuestSpec, qemu_argv
from hullbox.vm.micro.qmpline import QmpLine, ignore_shared
from hullbox.vm.micro.script import GuestCommand, end_marker, render
from hullbox.vm.micro.template import guest_ports

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT,
             signal.SIGUSR1, signal.SIGUSR2)


class StreamEnd:
    """Passes a port's bytes on until the end marker; what follows the
    marker up to the newline is kept as the trailer (the exit code)."""

    def __init__(self, marker: bytes) -> None:
        self._marker = marker
        self._held = b""
        self.done = False
        self.trailer = b""

    def feed(self, data: bytes) -> bytes:
        """The bytes that are surely output; a tail that may start the marker
        waits for the next chunk (the marker starts with NUL, so text never does)."""
        if self.done:
            self.trailer += data
            return b""
        data = self._held + data
        found = data.find(self._marker)
        if found >= 0:
            self.done = True
            self.trailer = data[found + len(self._marker):]
            self._held = b""
            return data[:found]
        keep = 0
        for size in range(min(len(data), len(self._marker) - 1), 0, -1):
            if self._marker.startswith(data[-size:]):
                keep = size
                break
        self._held = data[len(data) - keep:] if keep else b""
        return data[:len(data) - keep]

    def complete(self) -> bool:
        return self.done and b"\n" in self.trailer


@contextlib.contextmanager
def forwarding_signals(sig_port: socket.socket) -> Iterator[None]:
    """While the guest runs, the signals this process gets go to the command
    (``stop`` sends SIGTERM to the container's pid: this process)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(OSError):
            sig_port.sendall(signal.Signals(signum).name.removeprefix("SIG").encode() + b"\n")

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_guest(spec: GuestSpec, command: GuestCommand, *, stdout: int, stderr: int,
              log: Path, on_start: Callable[[int], None] | None = None) -> int:
    """Run ``command`` in a microVM restored from ``spec``'s template; its
    output goes to ``stdout``/``stderr``; returns its exit code."""
    nonce = os.urandom(8).hex()  # not secrets: its hashlib import costs more than a run's QMP
    script = render(command, nonce, keep_writes=not (spec.disk_volatile or spec.mounted),
                    mounted=spec.mounted).encode()
    channels = Channels.make()
    proc = launch_qemu(qemu_argv(spec, guest_ports(channels), channels.guest["qmp"].fileno(),
                                 boot=False), channels, log)
    try:
        qmp = QmpLine(channels.host["qmp"])
        ignore_shared(qmp)
        qmp.execute("migrate-incoming", {"uri": "exec:cat " + shlex.quote(spec.state_file)})
        channels.host["ctl"].sendall(script)
        if on_start is not None:
            on_start(proc.pid)
        with forwarding_signals(channels.host["sig"]):
            code = _relay(channels, nonce, stdout, stderr)
        if code is None:
            raise MachineFailure("the microVM ended before its command did: "
                                 + last_words(log, Path(spec.console_log)))
        return code
    finally:
        stop_qemu(proc)
        channels.close()


def _relay(channels: Channels, nonce: str, stdout: int, stderr: int) -> int | None:
    """Copy both ports until both markers came (the exit code) or QEMU went
    away (None)."""
    marker = end_marker(nonce)
    streams = {channels.host["out"].fileno(): (StreamEnd(marker), stdout),
               channels.host["err"].fileno(): (StreamEnd(marker), stderr)}
    poller = select.poll()
    for fd in streams:
        poller.register(fd, select.POLLIN)
    # QEMU's end shows as EOF on the monitor socket
    qmp_fd = channels.host["qmp"].fileno()
    poller.register(qmp_fd, select.POLLIN)
    open_streams = set(streams)
    while open_streams:
        for fd, _event in poller.poll():
            if fd == qmp_fd:
                if not _drain(fd):
                    return None
                continue
            chunk = _drain(fd)
            end, target = streams[fd]
            if not chunk:
                return None
            _write_all(target, end.feed(chunk))
            if end.complete():
                poller.unregister(fd)
                open_streams.discard(fd)
    out_end = streams[channels.host["out"].fileno()][0]
    try:
        return int(out_end.trailer.split(b"\n", 1)[0])
    except ValueError:
        return None


def _drain(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:
        return b""


def _write_all(fd: int, data: bytes) -> None:
    while data:
        try:
            written = os.write(fd, data)
        except BrokenPipeError:
            return  # whoever reads our output has gone; the guest still ends
        data = data[written:]
