"""Bytes between a microVM's ports and the host's descriptors: the
command's output until each port's end marker, and the host's stdin into
the guest (-i)."""

from __future__ import annotations

import contextlib
import os
import select
import socket
from dataclasses import dataclass, field


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


@dataclass
class Input:
    """The host's stdin and the port it goes to. At its end the port is shut
    for writing, which the guest reads as end of file; a terminal's port
    stays open (a terminal has no end of file). ``port`` is a descriptor of
    its own (a dup) even when the port is also an output: poll keeps one
    registration per descriptor."""

    source: int
    port: socket.socket
    close_at_end: bool = True
    pending: bytes = field(default=b"", repr=False)


def relay(outputs: dict[int, int], stdin: Input | None, watch: int, marker: bytes,
          code_port: int) -> int | None:
    """Copy each output port (fd -> host fd) until its end marker and
    ``stdin`` into its port; returns the exit code after ``code_port``'s
    marker, or None when ``watch`` (QEMU's monitor) closes first."""
    ends = {fd: StreamEnd(marker) for fd in outputs}
    poller = select.poll()
    for fd in outputs:
        poller.register(fd, select.POLLIN)
    poller.register(watch, select.POLLIN)
    if stdin is not None:
        poller.register(stdin.source, select.POLLIN)
    open_ports = set(outputs)
    while open_ports:
        for fd, _event in poller.poll():
            if fd == watch:
                if not _drain(fd):
                    # QEMU is gone; what it passed on before is still to read
                    return _last_of(ends, outputs, open_ports, code_port)
            elif stdin is not None and fd == stdin.source:
                _take_input(poller, stdin)
            elif stdin is not None and fd == stdin.port.fileno():
                _give_input(poller, stdin)
            else:
                chunk = _drain(fd)
                if not chunk:
                    return None
                _write_all(outputs[fd], ends[fd].feed(chunk))
                if ends[fd].complete():
                    poller.unregister(fd)
                    open_ports.discard(fd)
    return _exit_code(ends[code_port])


def _exit_code(end: StreamEnd) -> int | None:
    try:
        return int(end.trailer.split(b"\n", 1)[0].strip())
    except ValueError:
        return None


def _last_of(ends: dict[int, StreamEnd], outputs: dict[int, int], open_ports: set[int],
             code_port: int) -> int | None:
    """What the ports still hold once QEMU has ended; the exit code if every
    marker is among it."""
    for fd in open_ports:
        os.set_blocking(fd, False)
        while not ends[fd].complete() and (chunk := _drain(fd)):
            _write_all(outputs[fd], ends[fd].feed(chunk))
    if all(ends[fd].complete() for fd in open_ports):
        return _exit_code(ends[code_port])
    return None


def _take_input(poller: select.poll, stdin: Input) -> None:
    """Read stdin only while nothing waits to go in: a guest that does not
    read must not stall the output."""
    data = _drain(stdin.source)
    poller.unregister(stdin.source)
    if not data:
        if stdin.close_at_end:
            with contextlib.suppress(OSError):
                stdin.port.shutdown(socket.SHUT_WR)
        return
    stdin.pending = data
    poller.register(stdin.port.fileno(), select.POLLOUT)


def _give_input(poller: select.poll, stdin: Input) -> None:
    try:
        sent = os.write(stdin.port.fileno(), stdin.pending)
    except OSError:  # the guest side is gone: drop what the user typed
        sent = len(stdin.pending)
    stdin.pending = stdin.pending[sent:]
    if not stdin.pending:
        poller.unregister(stdin.port.fileno())
        poller.register(stdin.source, select.POLLIN)


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
