"""``hullbox``: the command line. Each verb parses, calls one engine method and
formats the answer; this module maps errors to Docker's exit codes."""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

import click

from hullbox import __version__
from hullbox.cli.command_table import COMMANDS
from hullbox.cli.lazy import LazyGroup, register_all
from hullbox.errors import HullboxError


class Context:
    """What every command shares: the store root and the engine, made lazily."""

    def __init__(self, root: str | None, debug: bool) -> None:
        self.root = root
        self.debug = debug
        self._engine: Any = None

    @property
    def engine(self) -> Any:
        if self._engine is None:
            from hullbox.engine.engine import Engine

            self._engine = Engine(self.root)
        return self._engine


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["--help"]})
@click.option("--root", envvar="HULLBOX_ROOT", default=None, metavar="DIR",
              help="Store root (default /var/lib/hullbox; $HULLBOX_ROOT).")
@click.option("--debug", is_flag=True, help="Print tracebacks of errors.")
# The version string from hullbox.__version__, not importlib.metadata (~15 ms).
@click.version_option(__version__, prog_name="hullbox")
@click.pass_context
def cli(ctx: click.Context, root: str | None, debug: bool) -> None:
    """A daemonless, Docker-compatible container engine."""
    ctx.obj = Context(root, debug)


def _register() -> None:
    """Import every command module and add all commands (tests use it to check
    what the full CLI imports); `hullbox` itself loads each command lazily."""
    register_all(cli)


# A `hullbox run` imports ~200 modules and makes ~20,000 long-lived objects
# (functions, classes), and with the default threshold (700) the cyclic GC
# walks them again and again while they load: ~10 ms of CPU for no garbage.
# Collections still happen, just less often, so long commands (logs -f,
# build, compose up) keep collecting their cycles.
GC_GEN0_THRESHOLD = 20_000


def main(argv: list[str] | None = None) -> None:
    """Entry point: exit 125 for hullbox's own errors (usage errors included),
    126/127 when the container's command cannot run, else the command's code."""
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)
    try:
        _main(argv)
    finally:
        # The interpreter's exit runs one more full collection (~12 ms) only to
        # free what the process is about to give back: frozen objects are
        # skipped. (Finalizers at exit are not guaranteed by Python anyway.)
        gc.freeze()


def _main(argv: list[str] | None) -> None:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        result = cli.main(args=argv, prog_name="hullbox", standalone_mode=False)
    except HullboxError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        click.echo(f"hullbox: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.UsageError as exc:
        hint = f"\nSee '{exc.ctx.command_path} --help'." if exc.ctx else ""
        click.echo(f"hullbox: {exc.format_message()}{hint}", err=True)
        sys.exit(125)
    except click.ClickException as exc:
        click.echo(f"hullbox: {exc.format_message()}", err=True)
        sys.exit(125)
    except click.Abort:
        sys.exit(130)
    except BrokenPipeError:
        # stdout closed early (`hullbox ps | head`): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
