"""Helper threads that never take a signal meant for the process.

The kernel hands a process-directed signal (Ctrl-C's SIGINT, a SIGTERM) to
any thread that does not block it. Python runs its handlers only in the
main thread, and only once that thread runs Python code again: when the
signal lands on a helper thread while the main thread sits in a blocking
call (a queue's get, a lock, waitpid), the main thread is not woken, the
handler waits with it, and Ctrl-C seems lost. Threads started inside
``signals_to_main_thread()`` inherit a mask that blocks every asynchronous
signal, so the kernel always picks the main thread, whose blocking call is
interrupted and whose handler runs at once.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

# Raised by a thread's own fault: blocking them would hide a crash.
_SYNCHRONOUS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL,
                signal.SIGTRAP, signal.SIGSYS, signal.SIGKILL, signal.SIGSTOP}
ASYNCHRONOUS = frozenset(signal.valid_signals()) - _SYNCHRONOUS


@contextlib.contextmanager
def signals_to_main_thread() -> Iterator[None]:
    """Threads started in the block (a pool's workers too, made on submit)
    leave every asynchronous signal to the main thread."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, ASYNCHRONOUS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def start_daemon(target: Callable[..., Any], *args: Any) -> threading.Thread:
    """A started daemon thread running ``target(*args)`` that takes no
    process-directed signal."""
    thread = threading.Thread(target=target, args=args, daemon=True)
    with signals_to_main_thread():
        thread.start()
    return thread
