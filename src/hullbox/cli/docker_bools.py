"""Docker's boolean flags: ``--sig-proxy`` alone means true, and
``--sig-proxy=false`` turns a default-true flag off. click's flags take no
``=value``, so a command of class ``DockerBoolCommand`` rewrites
``--FLAG=false`` to ``--no-FLAG`` (and ``--FLAG=true`` to ``--FLAG``) for
its ``--FLAG/--no-FLAG`` options, among its own options only: nothing after
the first argument (the image, the container) is touched."""

from __future__ import annotations

import click

from hullbox.errors import InvalidArgument

_TRUE = ("true", "1", "t", "yes")
_FALSE = ("false", "0", "f", "no")


def _bool_flags(command: click.Command) -> dict[str, str]:
    """``--FLAG`` -> ``--no-FLAG`` for the command's on/off options."""
    out: dict[str, str] = {}
    for param in command.params:
        if isinstance(param, click.Option) and param.is_flag and param.secondary_opts:
            for on in param.opts:
                if on.startswith("--"):
                    out[on] = param.secondary_opts[0]
    return out


def _takes_value(command: click.Command) -> set[str]:
    out: set[str] = set()
    for param in command.params:
        if isinstance(param, click.Option) and not param.is_flag and not param.count:
            out.update(param.opts)
    return out


def rewrite(command: click.Command, args: list[str]) -> list[str]:
    """``args`` with the on/off options' ``=value`` spelled as click takes them."""
    flags, valued = _bool_flags(command), _takes_value(command)
    out: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--" or not arg.startswith("-") or arg == "-":
            out += args[index - 1:]  # the first argument: the rest is the user's command
            return out
        name, has_value, value = arg.partition("=")
        if has_value and name in flags:
            word = value.lower()
            if word not in _TRUE + _FALSE:
                raise InvalidArgument(f"invalid {name}={value!r}: use true or false")
            out.append(name if word in _TRUE else flags[name])
            continue
        out.append(arg)
        takes_next = name in valued and not has_value if name.startswith("--") else (
            arg[:2] in valued and len(arg) == 2)
        if takes_next and index < len(args):
            out.append(args[index])
            index += 1
    return out


class DockerBoolCommand(click.Command):
    """A click command whose ``--FLAG/--no-FLAG`` options also take
    Docker's ``--FLAG=true|false``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, rewrite(self, args))
