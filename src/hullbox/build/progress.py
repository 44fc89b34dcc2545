"""A build's progress as events: steps ("vertices", as BuildKit calls
them) that start, log lines, end cached, done or in error. The front end
draws them: BuildKit's plain lines (``plain_lines``) or a live view."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

EventKind = Literal["start", "log", "cached", "done", "error"]


@dataclass(frozen=True)
class BuildEvent:
    """One thing that happened to step ``vertex``."""

    vertex: int
    kind: EventKind
    text: str = ""  # the title (start), the line (log), the message (error)
    seconds: float = 0.0  # how long the step took (done, cached, error)


Sink = Callable[[BuildEvent], None]


def ignore(_event: BuildEvent) -> None:
    """A sink for callers that show nothing."""


def plain_lines(event: BuildEvent) -> list[str]:
    """``--progress=plain``: BuildKit's lines for one event."""
    prefix = f"#{event.vertex}"
    if event.kind == "start":  # a blank line between steps
        return [f"{prefix} {event.text}"] if event.vertex == 1 else ["", f"{prefix} {event.text}"]
    if event.kind == "log":
        return [f"{prefix} {event.text}"]
    if event.kind == "cached":
        return [f"{prefix} CACHED"]
    if event.kind == "done":
        return [f"{prefix} DONE {event.seconds:.1f}s"]
    return [f"{prefix} ERROR: {event.text}"]


class Progress:
    """Numbers the steps of one build and times them."""

    def __init__(self, sink: Sink = ignore) -> None:
        self.sink = sink
        self.vertex = 0
        self._started: dict[int, float] = {}

    def start(self, title: str) -> int:
        """A new step; returns its number."""
        self.vertex += 1
        self._started[self.vertex] = time.monotonic()
        self.sink(BuildEvent(self.vertex, "start", title))
        return self.vertex

    def log(self, vertex: int, line: str) -> None:
        self.sink(BuildEvent(vertex, "log", line))

    def cached(self, vertex: int) -> None:
        self.sink(BuildEvent(vertex, "cached", seconds=self._took(vertex)))

    def done(self, vertex: int) -> None:
        self.sink(BuildEvent(vertex, "done", seconds=self._took(vertex)))

    def error(self, vertex: int, message: str) -> None:
        self.sink(BuildEvent(vertex, "error", message, seconds=self._took(vertex)))

    def _took(self, vertex: int) -> float:
        return time.monotonic() - self._started.get(vertex, time.monotonic())
