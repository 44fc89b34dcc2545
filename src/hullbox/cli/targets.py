"""Verbs on several targets (``rm a b c``, ``inspect x y``): each is tried,
a failure prints its one line and the others go on (STYLE.md 7)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import click

from hullbox.errors import HullboxError


def each(names: Iterable[str], action: Callable[[str], object], *,
         echo: bool = False) -> int:
    """``action(name)`` for every name, echoing the name after it when
    ``echo``; returns the exit code of the last failure (0 when none)."""
    failed = 0
    for name in names:
        try:
            action(name)
        except HullboxError as exc:
            click.echo(f"hullbox: {exc}", err=True)
            failed = exc.exit_code
            continue
        if echo:
            click.echo(name)
    return failed


def inspect_each(names: Iterable[str], inspect: Callable[[str], Any],
                 fmt: str | None) -> int:
    """``inspect``'s output for the names found, then exit 1 if any was not."""
    from hullbox.cli.format import print_inspect

    items: list[Any] = []
    failed = each(names, lambda name: items.append(inspect(name)))
    print_inspect(items, fmt)
    return 1 if failed else 0
