"""The log of a container run in the foreground: its output still goes to
the terminal (or the caller's descriptors), and also into json.log, as
Docker's json-file driver keeps the output of attached containers too.

Not for ``--rm`` (the log would be removed with the container), nor for -t
(the output is the pty's, copied by the runtime), nor ``--log-driver none``.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from hullbox.engine.logwriter import LinePump, LogWriter
from hullbox.engine.options import ContainerOptions
from hullbox.linux.sigthreads import signals_to_main_thread
from hullbox.store.containers import ContainerRecord
from hullbox.store.store import Store


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _copy(source: int, target: int, pump: LinePump) -> None:
    """Copy until EOF; a reader that went away stops the copy, not the log."""
    writing = True
    while chunk := os.read(source, 65536):
        if writing:
            try:
                _write_all(target, chunk)
            except BrokenPipeError:
                writing = False
        pump.feed(chunk)
    pump.close()


@dataclass
class Tee:
    """The descriptors the container writes to, and ``started`` to call once
    it runs (threads start only then, so the runtime forks single-threaded)."""

    stdout: int
    stderr: int
    started: Callable[[int], None]


def _logged(options: ContainerOptions) -> bool:
    return not (options.auto_remove or options.tty or options.lifecycle.log_driver == "none")


@contextlib.contextmanager
def log_tee(store: Store, record: ContainerRecord, stdout: int, stderr: int) -> Iterator[Tee]:
    """Descriptors that reach ``stdout``/``stderr`` and the log; on leaving,
    waits for the output to be copied."""
    options = ContainerOptions.from_json(record.config)
    if not _logged(options):
        yield Tee(stdout, stderr, lambda _pid: None)
        return
    from hullbox.engine.logs import log_path

    size, files = options.lifecycle.rotation()
    writer = LogWriter(str(log_path(store.container_dir(record.id))), size, files)
    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    err_r, err_w = os.pipe2(os.O_CLOEXEC)
    threads = [
        threading.Thread(target=_copy, args=(out_r, stdout, LinePump("stdout", writer)),
                         daemon=True),
        threading.Thread(target=_copy, args=(err_r, stderr, LinePump("stderr", writer)),
                         daemon=True),
    ]

    def started(_pid: int) -> None:
        with signals_to_main_thread():  # Ctrl-C must wake the main thread's waitpid
            for thread in threads:
                thread.start()

    try:
        yield Tee(out_w, err_w, started)
    finally:
        os.close(out_w)
        os.close(err_w)
        for thread in threads:
            if thread.is_alive() or thread.ident is not None:
                thread.join(timeout=5)  # a descriptor leaked elsewhere must not hang us
        if not any(thread.is_alive() for thread in threads):
            os.close(out_r)
            os.close(err_r)
            writer.close()
