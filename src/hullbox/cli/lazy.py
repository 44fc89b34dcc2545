"""Click groups that import a command's module only when that command runs
(the pattern of click's "Lazily Loading Subcommands" documentation): every
CLI module imports a slice of the engine, and `hullbox run` should not pay
for `build`, `compose` or `vm`."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import click
from click.utils import make_default_short_help

from hullbox.cli.command_table import LAZY_GROUPS, REGISTER_ORDER

Table = Mapping[str, tuple[str, str]]

_eager: click.Group | None = None


def _import(module_name: str) -> Any:
    # __import__ rather than importlib.import_module: -X importtime reports
    # only imports that go through it, and it is how we check what loads.
    __import__(module_name)
    return sys.modules[module_name]


def register_all(group: click.Group) -> None:
    """Add every command the CLI modules define to ``group``, importing them
    all (what `hullbox` did at every start before it loaded lazily)."""
    for name in REGISTER_ORDER:
        _import(f"hullbox.cli.{name}").register(group)


def eager_root() -> click.Group:
    """A scratch root group with every command registered; made once."""
    global _eager
    if _eager is None:
        _eager = click.Group("hullbox")
        register_all(_eager)
    return _eager


def load(spec: str, name: str) -> click.Command | None:
    """The command a "module:attribute" spec names; for "module:register",
    the command ``name`` that the module's register() adds."""
    module_name, _, attribute = spec.partition(":")
    module = _import(module_name)
    if attribute != "register":
        command = getattr(module, attribute)
        assert isinstance(command, click.Command), spec
        return command
    scratch = click.Group("hullbox")
    for group in LAZY_GROUPS:  # some modules add to these when they exist
        scratch.add_command(click.Group(group))
    module.register(scratch)
    return scratch.commands.get(name)


class LazyGroup(click.Group):
    """A group whose commands come from a table of name -> (spec, short help);
    ``path`` is where it sits under the root ((), or ("container",)), used to
    find a command the table lacks among the eagerly registered ones."""

    def __init__(self, *args: Any, lazy: Table, path: tuple[str, ...] = (),
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy
        self.path = path

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = self.commands.get(cmd_name)
        if command is not None:
            return command
        if cmd_name in LAZY_GROUPS and not self.path:
            command = LazyGroup(cmd_name, help=self.lazy[cmd_name][1],
                                lazy=LAZY_GROUPS[cmd_name], path=(cmd_name,))
        elif cmd_name in self.lazy:
            command = load(self.lazy[cmd_name][0], cmd_name)
        else:
            command = self._eager_command(cmd_name)
        if command is not None:
            self.commands[cmd_name] = command
        return command

    def _eager_command(self, cmd_name: str) -> click.Command | None:
        """A command missing from the table (a typo, or a table out of date):
        register everything and look again, so a new command works anyway."""
        group: click.Command | None = eager_root()
        for part in self.path:
            group = group.commands.get(part) if isinstance(group, click.Group) else None
        return group.commands.get(cmd_name) if isinstance(group, click.Group) else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, but the short help of a command not loaded yet comes
        from the table, so `--help` imports no command module."""
        rows: list[tuple[str, str]] = []
        for name in self.list_commands(ctx):
            command = self.commands.get(name)
            if command is None:
                rows.append((name, self.lazy[name][1]))
            elif not command.hidden:
                rows.append((name, ""))
        if not rows:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in rows)
        shown = []
        for name, text in rows:
            command = self.commands.get(name)
            if command is not None:
                text = command.get_short_help_str(limit)
            else:
                text = make_default_short_help(text, limit)
            shown.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(shown)
