"""What ``build`` draws while it runs.

``--progress=plain`` (and ``auto`` off a terminal): BuildKit's plain lines,
``#3 [2/5] RUN ...`` / ``#3 DONE 0.3s`` / ``#3 CACHED``. ``--progress=tty``
(and ``auto`` on one): a live view redrawn in place, as BuildKit's: a
header with the elapsed time, one line per step with its own time, CACHED
and ERROR marks, and the last lines of the running step's output. rich is
imported only on the terminal path.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import click

from hullbox.build.progress import BuildEvent, plain_lines

_TAIL = 6  # output lines shown under a running step


def choose(progress: str, quiet: bool) -> str:
    """``quiet``, ``plain`` or ``tty`` for the flags and stderr at hand."""
    if quiet or progress == "quiet":
        return "quiet"
    if progress == "auto":
        return "tty" if sys.stderr.isatty() else "plain"
    return progress


def plain(event: BuildEvent) -> None:
    """``--progress=plain``."""
    for line in plain_lines(event):
        click.echo(line, err=True)


def quiet(_event: BuildEvent) -> None:
    """``-q``: nothing while building."""


@dataclass
class _Step:
    title: str
    started: float
    seconds: float | None = None
    state: str = "running"  # running, done, cached, error
    tail: list[str] = field(default_factory=list)


class LiveView:
    """``--progress=tty``: the whole build redrawn in place (rich.Live)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console(stderr=True, highlight=False)
        self.lock = threading.Lock()
        self.steps: dict[int, _Step] = {}
        self.started = time.monotonic()
        self.finished: float | None = None
        self.failed = False
        self.live = Live(console=self.console, refresh_per_second=8, transient=False,
                         get_renderable=self._render, redirect_stdout=False,
                         redirect_stderr=False)

    def __enter__(self) -> LiveView:
        self.live.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        with self.lock:
            self.finished = time.monotonic()
            self.failed = kind is not None
        self.live.stop()  # the last frame stays on the screen

    def __call__(self, event: BuildEvent) -> None:
        with self.lock:
            if event.kind == "start":
                self.steps[event.vertex] = _Step(event.text, time.monotonic())
                return
            step = self.steps.get(event.vertex)
            if step is None:
                return
            if event.kind == "log":
                step.tail.append(event.text)
                del step.tail[:-_TAIL]
                return
            step.state = event.kind
            step.seconds = event.seconds

    def _render(self) -> Any:
        from rich.console import Group
        from rich.text import Text

        with self.lock:
            now = self.finished or time.monotonic()
            done = sum(1 for s in self.steps.values() if s.state != "running")
            lines: list[Text] = [Text.assemble(
                ("[+] Building ", "bold"), f"{now - self.started:.1f}s ",
                f"({done}/{len(self.steps)})",
                ("" if self.finished is None or self.failed else " FINISHED", "bold green"))]
            width = max(self.console.width, 40)
            for step in self.steps.values():
                lines.append(self._line(step, now, width))
                if step.state in ("running", "error"):
                    lines.extend(Text(f" => => # {t}"[:width], style="dim") for t in step.tail)
        return Group(*lines)

    @staticmethod
    def _line(step: _Step, now: float, width: int) -> Any:
        from rich.text import Text

        seconds = step.seconds if step.seconds is not None else now - step.started
        mark = {"cached": "CACHED ", "error": "ERROR "}.get(step.state, "")
        timing = f" {seconds:.1f}s"
        title = f" => {mark}{step.title}"
        room = width - len(timing) - 1
        if len(title) > room:
            title = title[:room - 1] + "…"
        style = {"running": "blue", "done": "", "cached": "green", "error": "bold red"}
        return Text(title.ljust(room) + timing, style=style[step.state])
