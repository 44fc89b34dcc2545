"""``hullbox compose attach``, ``commit`` and ``export``: the container verb
of the same name on a replica of a service (``--index``, the first by
default), with docker compose's flags."""

from __future__ import annotations

from typing import Any

import click


def _invoke(obj: Any, command: click.Command, service: str, index: int,
            **params: Any) -> Any:
    """``command`` (the container verb) on replica ``index`` of ``service``;
    the flags it has beyond ``params`` keep their defaults."""
    from hullbox.cli.compose import _bound
    from hullbox.cli.compose_verbs import _container

    record = _container(_bound(obj, [service]), service, index)
    with click.Context(command, obj=obj.parent) as context:
        return context.invoke(command, container=record.name, **params)


@click.command("attach")
@click.option("--index", type=int, default=1, help="Which replica (default 1).")
@click.option("--no-stdin", is_flag=True, help="Do not attach stdin.")
@click.option("--detach-keys", default="ctrl-p,ctrl-q", show_default=True,
              help="Keys that detach and leave the container running.")
@click.argument("service")
@click.pass_obj
def attach(obj: Any, index: int, no_stdin: bool, detach_keys: str, service: str) -> int:
    """Attach to the output (and input) of a service's running container."""
    from hullbox.cli.exec import attach as container_attach

    return int(_invoke(obj, container_attach, service, index, no_stdin=no_stdin,
                       detach_keys=detach_keys) or 0)


@click.command("commit")
@click.option("--index", type=int, default=1, help="Which replica (default 1).")
@click.option("-a", "--author", default="", help='Author ("Name <email>").')
@click.option("-c", "--change", multiple=True, help="Apply a Dockerfile instruction.")
@click.option("-m", "--message", default="", help="Commit message.")
@click.argument("service")
@click.argument("reference", required=False)
@click.pass_obj
def commit(obj: Any, index: int, author: str, change: tuple[str, ...], message: str,
           service: str, reference: str | None) -> None:
    """Make a new image of a service container's changes."""
    from hullbox.cli.commit import commit as container_commit

    _invoke(obj, container_commit, service, index, author=author, change=change,
            message=message, reference=reference)


@click.command("export")
@click.option("--index", type=int, default=1, help="Which replica (default 1).")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write to a file instead of standard output.")
@click.argument("service")
@click.pass_obj
def export(obj: Any, index: int, output: str | None, service: str) -> None:
    """Write a service container's filesystem as a tar archive."""
    from hullbox.cli.commit import export as container_export

    _invoke(obj, container_export, service, index, output=output)


VERBS = [attach, commit, export]
