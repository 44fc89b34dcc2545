"""Where a -it container's terminal goes once the user detached from a
foreground run (cli/foreground.py), so that ``attach`` finds it as it finds
a ``run -d`` one's: its input is the FIFO attach writes into, its output
goes to the log attach follows."""

from __future__ import annotations

import os
import threading
from typing import Any

from hullbox.linux.sigthreads import start_daemon


class Reattachable:
    """Where a -it container's terminal goes once the user detached, so that
    ``attach`` finds it as it finds a ``run -d`` one's: its input is the FIFO
    attach writes into, its output goes to the log attach follows."""

    def __init__(self, store: Any, container_id: str, options: Any) -> None:
        self.container_dir = store.container_dir(container_id)
        self.rotation = options.lifecycle.rotation()
        self.thread: threading.Thread | None = None

    def descriptors(self) -> tuple[int, int]:
        """(stdin, stdout) for the container's pty proxy from now on."""
        from hullbox.engine.attach import open_stdin
        from hullbox.engine.logs import log_path
        from hullbox.engine.logwriter import LinePump, LogWriter

        stdin = open_stdin(self.container_dir, True)
        assert stdin is not None
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        writer = LogWriter(str(log_path(self.container_dir)), *self.rotation)

        def copy() -> None:
            pump = LinePump("stdout", writer)
            while chunk := os.read(read_end, 65536):
                pump.feed(chunk)
            pump.close()
            writer.close()
            os.close(read_end)

        self.thread = start_daemon(copy)  # signals stay with the main thread
        return stdin, write_end

    def close(self) -> None:
        """The container is done (stdout no longer the pipe): wait for the log."""
        if self.thread is not None:
            self.thread.join(timeout=5)


def reattachable(engine: Any, record: Any) -> Reattachable:
    """Reattachable for a stored container (``start -ai``)."""
    from hullbox.engine.options import ContainerOptions

    return Reattachable(engine.store, record.id, ContainerOptions.from_json(record.config))
