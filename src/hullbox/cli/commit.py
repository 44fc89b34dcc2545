"""``commit`` and ``export``: a container's filesystem as an image or a tar."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

import click

from hullbox.errors import InvalidArgument


@click.command()
@click.option("-a", "--author", default="", help='Author ("Name <email>").')
@click.option("-c", "--change", multiple=True, help="Apply a Dockerfile instruction.")
@click.option("-m", "--message", default="", help="Commit message.")
@click.option("-p", "--pause", type=click.BOOL, default=True, show_default=True,
              help="Freeze the container while committing (--pause=false: do not).")
@click.argument("container")
@click.argument("reference", required=False)
@click.pass_obj
def commit(obj: Any, author: str, change: tuple[str, ...], message: str, pause: bool,
           container: str, reference: str | None) -> None:
    """Make a new image of a container's changes."""
    record = obj.engine.builds.commit(container, reference, changes=list(change),
                                      message=message, author=author, pause=pause)
    click.echo(record.id)


@click.command()
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write to a file instead of standard output.")
@click.argument("container")
@click.pass_obj
def export(obj: Any, output: str | None, container: str) -> None:
    """Write a container's filesystem as a tar archive."""
    if output is None or output == "-":
        if sys.stdout.isatty():
            raise InvalidArgument(
                "cowardly refusing to write a tar to a terminal; use -o FILE or redirect"
            )
        sys.stdout.flush()
        with os.fdopen(os.dup(sys.stdout.fileno()), "wb") as out:
            obj.engine.builds.export(container, out)
        return
    tmp = f"{output}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as out:
            obj.engine.builds.export(container, out)
        os.replace(tmp, output)
    except OSError as exc:
        raise InvalidArgument(f"export to {output}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def register(cli: click.Group) -> None:
    """Top-level verbs, and under ``hullbox container`` when that group exists."""
    group = cli.commands.get("container")
    for command in (commit, export):
        cli.add_command(command)
        if isinstance(group, click.Group):
            group.add_command(command)
