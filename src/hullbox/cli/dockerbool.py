"""Docker's boolean flags take a value: ``--ipv6=true``, ``--internal=false``.

click's ``--x/--no-x`` flags refuse ``=value``; a command of this class
rewrites ``--x=false`` to ``--no-x`` (and ``--x=true`` to ``--x``) for its
own ``--x/--no-x`` options before click parses the arguments.
"""

from __future__ import annotations

import click

_TRUE = ("1", "t", "true")
_FALSE = ("0", "f", "false")


class DockerBoolCommand(click.Command):
    """A click command whose ``--x/--no-x`` flags also take ``--x=BOOL``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        pairs = {opt: secondary for param in self.params if isinstance(param, click.Option)
                 and param.is_bool_flag and param.secondary_opts
                 for opt in param.opts for secondary in param.secondary_opts[:1]}
        rewritten: list[str] = []
        for arg in args:
            if arg == "--":
                rewritten.extend(args[len(rewritten):])
                break
            flag, sep, value = arg.partition("=")
            if sep and flag in pairs:
                if value.lower() in _TRUE:
                    arg = flag
                elif value.lower() in _FALSE:
                    arg = pairs[flag]
                else:
                    raise click.BadParameter(f"{value!r} is not a boolean: use true or false",
                                             param_hint=flag)
            rewritten.append(arg)
        return super().parse_args(ctx, rewritten)
