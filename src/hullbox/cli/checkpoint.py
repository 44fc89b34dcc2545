"""``checkpoint create|ls|rm`` with docker's flags: refused in one line
with CRIU's reason (engine/checkpoint.py); nothing is saved or faked."""

from __future__ import annotations

from typing import Any

import click

_DIR_HELP = "Use a custom checkpoint storage directory."


def _refuse(obj: Any, action: str, container: str) -> None:
    from hullbox.engine.checkpoint import refuse

    obj.engine.containers.get(container)  # a container that does not exist: that first
    refuse(action)


@click.command()
@click.option("--checkpoint-dir", default=None, metavar="DIR", help=_DIR_HELP)
@click.option("--leave-running", is_flag=True,
              help="Leave the container running after checkpoint.")
@click.argument("container")
@click.argument("checkpoint")
@click.pass_obj
def create(obj: Any, checkpoint_dir: str | None, leave_running: bool, container: str,
           checkpoint: str) -> None:
    """Create a checkpoint from a running container (needs CRIU)."""
    _refuse(obj, "checkpoint create", container)


@click.command(name="ls")
@click.option("--checkpoint-dir", default=None, metavar="DIR", help=_DIR_HELP)
@click.argument("container")
@click.pass_obj
def ls(obj: Any, checkpoint_dir: str | None, container: str) -> None:
    """List checkpoints for a container (needs CRIU)."""
    _refuse(obj, "checkpoint ls", container)


@click.command()
@click.option("--checkpoint-dir", default=None, metavar="DIR", help=_DIR_HELP)
@click.argument("container")
@click.argument("checkpoint")
@click.pass_obj
def rm(obj: Any, checkpoint_dir: str | None, container: str, checkpoint: str) -> None:
    """Remove a checkpoint (needs CRIU)."""
    _refuse(obj, "checkpoint rm", container)


def register(cli: click.Group) -> None:
    """Add ``hullbox checkpoint`` and its verbs (docker's aliases too)."""
    group = click.Group("checkpoint", help="Manage checkpoints (CRIU).")
    for command in (create, ls, rm):
        group.add_command(command)
    group.add_command(ls, "list")
    group.add_command(rm, "remove")
    cli.add_command(group)
