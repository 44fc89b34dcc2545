"""The caller's side of a terminal container: raw mode, window size, copying bytes."""

from __future__ import annotations

import contextlib
import errno
import os
import select
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from hullbox.linux.tty import get_winsize, make_raw, restore_mode, set_winsize


def _copy_winsize(source: int, master: int) -> None:
    # when source is not a terminal, the pty keeps its default size
    with contextlib.suppress(OSError):
        set_winsize(master, get_winsize(source))


@contextmanager
def terminal_session(stdin: int | None, stdout: int, master: int) -> Iterator[None]:
    """Raw mode on the caller's tty and SIGWINCH -> resize, both undone on exit."""
    size_source = stdin if stdin is not None and os.isatty(stdin) else stdout
    _copy_winsize(size_source, master)
    saved = None
    if stdin is not None and os.isatty(stdin):
        saved = make_raw(stdin)

    def on_winch(_sig: int, _frame: FrameType | None) -> None:
        _copy_winsize(size_source, master)

    old_winch = None
    with contextlib.suppress(ValueError):  # not the main thread: no resizing
        old_winch = signal.signal(signal.SIGWINCH, on_winch)
    try:
        yield
    finally:
        if old_winch is not None:
            signal.signal(signal.SIGWINCH, old_winch)
        if saved is not None and stdin is not None and os.isatty(stdin):  # not detached
            restore_mode(stdin, saved)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def proxy(master: int, stdin: int | None, stdout: int) -> None:
    """Copy stdin -> master and master -> stdout until the container closes the pty.

    At stdin EOF we stop reading it but keep copying output; once every holder
    of the slave has exited, reading the master fails with EIO and we stop.
    """
    from hullbox.runtime.detach import active

    detacher = active() if stdin is not None else None
    reading_stdin = stdin is not None
    output_ok = True
    while True:
        fds = [master, stdin] if reading_stdin and stdin is not None else [master]
        ready, _, _ = select.select(fds, [], [])
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError as exc:
                if exc.errno == errno.EIO:
                    return
                raise
            if not data:
                return
            if output_ok:
                try:
                    _write_all(stdout, data)
                except BrokenPipeError:
                    output_ok = False  # nobody reads: keep draining so the container can exit
        if stdin is not None and stdin in ready:
            data = os.read(stdin, 65536)
            if not data:
                reading_stdin = False
            elif detacher is not None:
                # the keys are not for the container; once they are typed,
                # stdin is what the detacher put there (attach's FIFO, or
                # /dev/null whose EOF ends the reading)
                data = detacher.scan(data)
            if data:
                _write_all(master, data)
