"""What the ``hullbox vm`` command modules share: the service, acting on
several machines, and the shapes of their simplest verbs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from hullbox.errors import HullboxError


def service(obj: Any) -> Any:
    """The machine service of the store the CLI was pointed at."""
    from hullbox.engine.machines import MachineEngine
    from hullbox.store.store import Store

    return MachineEngine(Store(obj.root))


def each(names: tuple[str, ...], action: Callable[[str], object]) -> int:
    """Act on every name; report each failure and go on; 125 if any failed."""
    failed = False
    for name in names:
        try:
            action(name)
            click.echo(name)
        except HullboxError as exc:
            click.echo(f"hullbox: {exc}", err=True)
            failed = True
    return 125 if failed else 0


def each_command(group: click.Group, verb: str, method: str, help_text: str) -> None:
    """``vm VERB NAME...``: ``method(name)`` on each, its name printed."""
    @group.command(name=verb, help=help_text)
    @click.argument("names", nargs=-1, required=True)
    @click.pass_obj
    def command(obj: Any, names: tuple[str, ...]) -> int:
        return each(names, getattr(service(obj), method))


def pair_command(group: click.Group, verb: str, method: str, second: str,
                 help_text: str) -> None:
    """``VERB NAME SECOND`` (a snapshot tag, a disk path): ``method(name,
    second)`` on one machine, SECOND printed."""
    @group.command(name=verb, help=help_text)
    @click.argument("name")
    @click.argument("value", metavar=second.upper())
    @click.pass_obj
    def command(obj: Any, name: str, value: str) -> None:
        getattr(service(obj), method)(name, value)
        click.echo(value)
