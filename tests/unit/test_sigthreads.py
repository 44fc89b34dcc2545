"""Helper threads leave Ctrl-C to the main thread: their signal mask (as the
kernel shows it in /proc) blocks SIGINT and SIGTERM, so a process-directed
signal can only be delivered to the main thread, and the main thread's own
mask is as it was."""

from __future__ import annotations

import queue
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hullbox.linux.sigthreads import signals_to_main_thread, start_daemon


def _blocked(native_id: int) -> set[int]:
    status = Path(f"/proc/self/task/{native_id}/status").read_text()
    mask = int(next(line.split()[1] for line in status.splitlines()
                    if line.startswith("SigBlk:")), 16)
    return {sig for sig in range(1, 65) if mask >> (sig - 1) & 1}


def test_a_daemon_thread_blocks_ctrl_c_and_the_main_thread_does_not() -> None:
    seen: queue.Queue[int] = queue.Queue()
    release = threading.Event()

    def work() -> None:
        seen.put(threading.get_native_id())
        release.wait(10)

    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    thread = start_daemon(work)
    try:
        worker = seen.get(timeout=10)
        assert {signal.SIGINT, signal.SIGTERM, signal.SIGHUP} <= _blocked(worker)
        assert signal.SIGSEGV not in _blocked(worker)  # its own crash still kills it
        assert signal.SIGINT not in _blocked(threading.get_native_id())
        assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before
    finally:
        release.set()
        thread.join(10)


def test_pool_workers_made_in_the_block_block_ctrl_c() -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:
        with signals_to_main_thread():
            future = pool.submit(threading.get_native_id)
        assert signal.SIGINT in _blocked(future.result(timeout=10))
    assert signal.SIGINT not in _blocked(threading.get_native_id())
