"""Ending and waiting for running containers: stop, kill, wait.

Every command talks to a container through its process (signals) and reads
its state from the store, which the monitor keeps (no daemon to ask).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from hullbox.errors import HullboxError, InvalidArgument
from hullbox.store.containers import RESTARTING, RUNNING, ContainerRecord

if TYPE_CHECKING:
    from hullbox.engine.images import ImageService

DEFAULT_STOP_TIMEOUT = 10.0
#: after SIGKILL, how long a container may take to be reaped and recorded
KILL_GRACE = 30.0


def parse_signal(value: str | int) -> signal.Signals:
    """``KILL``, ``SIGKILL``, ``kill`` or ``9``, as ``docker kill -s`` takes it."""
    text = str(value).strip()
    try:
        if text.isdigit():
            return signal.Signals(int(text))
        name = text.upper()
        return signal.Signals[name if name.startswith("SIG") else "SIG" + name]
    except (KeyError, ValueError):
        raise InvalidArgument(
            f"invalid signal {value!r}: use a name (TERM, SIGHUP) or a number (15)"
        ) from None


def is_active(record: ContainerRecord) -> bool:
    """Running, or waiting out its restart backoff."""
    return record.state in (RUNNING, RESTARTING)


def send_signal(record: ContainerRecord, sig: int) -> None:
    """Signal the container's PID 1 from the host (its own namespace would let
    it ignore SIGKILL); a process already gone is not an error."""
    if record.pid > 0:
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, sig)
        from hullbox.engine.pause import thaw_if_paused

        thaw_if_paused(record.id)  # a paused container handles the signal, as in Docker


def wait_until(done: Callable[[], bool], timeout: float | None,
               interval: float = 0.02) -> bool:
    """Poll ``done`` until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while not done():
        if deadline is not None and time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True


def stop_signal(image_stop_signal: str) -> signal.Signals:
    """The image's STOPSIGNAL, else SIGTERM."""
    return parse_signal(image_stop_signal) if image_stop_signal else signal.SIGTERM


def stop_plan(record: ContainerRecord, images: ImageService,
              timeout: float | None) -> tuple[signal.Signals, float | None]:
    """The signal ``stop`` sends and how long it waits before SIGKILL (None:
    for ever): ``--stop-signal`` else the image's STOPSIGNAL else SIGTERM;
    ``stop -t`` else ``--stop-timeout`` else 10 s, as Docker decides."""
    from hullbox.engine.options import ContainerOptions

    settings = ContainerOptions.from_json(record.config).lifecycle
    sig = settings.stop_signal
    if not sig:
        with contextlib.suppress(HullboxError):  # the image may have been removed
            sig = images.get(record.image_id).config.config.stop_signal
    if timeout is None:
        timeout = DEFAULT_STOP_TIMEOUT if settings.stop_timeout is None \
            else float(settings.stop_timeout)
    return stop_signal(sig), None if timeout < 0 else timeout
