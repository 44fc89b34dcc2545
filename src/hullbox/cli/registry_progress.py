"""What ``pull`` and ``push`` print while layers move.

On a terminal: one live line per layer with its status and, while bytes
flow, a bar and a byte count, as ``docker pull`` draws. Anywhere else: one
plain line per layer with its outcome, which scripts and tests read. rich is
imported only on the terminal path, so a piped pull does not pay for it.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType
from typing import Any, Protocol

import click

# Statuses that only say bytes are moving: the plain output skips them.
_PROGRESS_ONLY = frozenset({"Downloading", "Download complete", "Extracting", "Pushing"})


def short_id(digest: str) -> str:
    return digest.removeprefix("sha256:")[:12]


class Display(Protocol):
    def __enter__(self) -> Display: ...
    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None: ...
    def __call__(self, event: Any) -> None: ...


class PlainLines:
    """One line per layer outcome, e.g. ``3f4d90098f5b: Pull complete``."""

    def __enter__(self) -> PlainLines:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def __call__(self, event: Any) -> None:
        if event.status in _PROGRESS_ONLY:
            return
        line = f"{short_id(event.digest)}: {event.status}"
        if getattr(event, "resumed_from", 0):
            line += f" (resumed at {event.resumed_from} bytes)"
        click.echo(line)


class LayerBars:
    """Live per-layer lines with bars (rich), redrawn in place."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn
        from rich.text import Text

        class WhileMoving(BarColumn):
            def render(self, task: Any) -> Any:
                return super().render(task) if task.fields.get("moving") else Text("")

        class BytesWhileMoving(DownloadColumn):
            def render(self, task: Any) -> Any:
                return super().render(task) if task.fields.get("moving") else Text("")

        self._progress = Progress(
            TextColumn("{task.fields[layer]}: {task.description}"),
            WhileMoving(bar_width=40),
            BytesWhileMoving(),
            console=Console(file=sys.stdout),
            refresh_per_second=8,
        )
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> LayerBars:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def __call__(self, event: Any) -> None:
        status = str(event.status)
        if getattr(event, "resumed_from", 0) and status == "Pull complete":
            status += f" (resumed at {event.resumed_from} bytes)"
        total = int(getattr(event, "total", 0) or getattr(event, "size", 0) or 0)
        current = int(getattr(event, "current", 0) or 0)
        # Bars only while bytes move; a finished layer's line is its status
        # alone, as docker's is.
        moving = event.status in ("Downloading", "Pushing") and total > 0
        with self._lock:
            task = self._tasks.get(event.digest)
            if task is None:
                task = self._progress.add_task(status, layer=short_id(event.digest),
                                               total=total or None, moving=moving)
                self._tasks[event.digest] = task
        self._progress.update(task, description=status, completed=current,
                              total=total or None, moving=moving)


def display(quiet: bool) -> Display | None:
    """The layer display for this output: none when quiet, bars on a
    terminal, plain lines otherwise."""
    if quiet:
        return None
    if sys.stdout.isatty():
        return LayerBars()
    return PlainLines()
