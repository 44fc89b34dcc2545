"""The monitor while its container runs: the lean phase (engine.monitor).

The heavy phase started the container as its child and then exec'd this
interpreter (same pid, so still the parent) with only this module: copy the
container's output into the log and wait for its exit, nothing else. That
is the idle cost of every detached container, so only built-in modules.
"""

from __future__ import annotations

import errno
import os
import select
import time

from hullbox.engine.logwriter import LinePump, LogWriter

#: once the container exited, how long a descriptor leaked to some other
#: process may keep its output open before the monitor stops reading it
DRAIN_SECONDS = 5.0


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError as exc:
        if exc.errno == errno.EIO:  # a pty whose every slave holder is gone
            return b""
        raise


def _forward(source: int, target: int) -> None:
    data = os.read(source, 65536)
    try:
        while data:
            data = data[os.write(target, data):]
    except OSError:
        pass  # the container closed its terminal: the input has nowhere to go


def watch(pid: int, sources: dict[int, str], writer: LogWriter | None,
          forward: tuple[int, int] | None = None) -> int:
    """Log each source (a read end -> "stdout"/"stderr") until EOF, reap
    ``pid``; return its wait status. ``forward`` (source, target) copies
    input as it comes: `attach` typing into a -it container's pty."""
    pumps = {fd: LinePump(stream, writer) for fd, stream in sources.items()}
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    if forward is not None:
        poller.register(forward[0], select.POLLIN)
    for fd in pumps:
        poller.register(fd, select.POLLIN)
    status: int | None = None
    deadline = 0.0
    while status is None or pumps:
        timeout = None if status is None else max(0.0, deadline - time.monotonic()) * 1000
        events = poller.poll(timeout)
        if not events and status is not None:
            break  # the container is gone but something still holds its output
        for fd, _event in events:
            if fd == pidfd:
                _, status = os.waitpid(pid, 0)
                poller.unregister(pidfd)
                os.close(pidfd)
                deadline = time.monotonic() + DRAIN_SECONDS
                continue
            if forward is not None and fd == forward[0]:
                _forward(fd, forward[1])
                continue
            chunk = _read(fd)
            if chunk:
                pumps[fd].feed(chunk)
                continue
            pumps.pop(fd).close()
            poller.unregister(fd)
            os.close(fd)
    for pump in pumps.values():
        pump.close()
    assert status is not None
    return status
