"""``rename`` and ``container prune``."""

from __future__ import annotations

import sys
from typing import Any

import click


@click.command()
@click.argument("container")
@click.argument("new_name")
@click.pass_obj
def rename(obj: Any, container: str, new_name: str) -> None:
    """Rename a container."""
    obj.engine.containers.rename(container, new_name)


def _confirmed() -> bool:
    click.echo("WARNING! This will remove all stopped containers.")
    click.echo("Are you sure you want to continue? [y/N] ", nl=False)
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


@click.command()
@click.option("-f", "--force", is_flag=True, help="Do not ask for confirmation.")
@click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE",
              help="until=TIME (or a duration ago), label=KEY[=VALUE], label!=KEY[=VALUE].")
@click.pass_obj
def prune(obj: Any, force: bool, filters: tuple[str, ...]) -> None:
    """Remove all stopped containers."""
    from hullbox.engine.prune_filters import prune_matcher
    from hullbox.engine.units import human_size
    from hullbox.store.containers import ContainerRecord

    def labels(record: ContainerRecord) -> dict[str, str]:
        return dict(record.config.get("labels") or {})

    def created(record: ContainerRecord) -> float:
        return record.created

    parsed = prune_matcher(filters, created, labels) if filters else None
    if not force and not _confirmed():
        click.echo("Total reclaimed space: 0B")
        return
    report = obj.engine.containers.prune(parsed)
    if report.deleted:
        click.echo("Deleted Containers:")
        for container_id in report.deleted:
            click.echo(container_id)
        click.echo("")
    click.echo(f"Total reclaimed space: {human_size(report.reclaimed)}")


def register(cli: click.Group) -> None:
    """``rename`` and ``diff`` at top level and under ``container``;
    ``container prune`` and ``container port``."""
    from hullbox.cli.diff import diff
    from hullbox.cli.network import port

    group = cli.commands["container"]
    assert isinstance(group, click.Group)
    for command in (rename, diff):
        cli.add_command(command)
        group.add_command(command)
    group.add_command(prune)
    group.add_command(port)  # `hullbox port` is added with the network verbs
