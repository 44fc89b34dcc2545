"""``hullbox diff`` (and ``container diff``)."""

from __future__ import annotations

from typing import Any

import click


@click.command()
@click.argument("container")
@click.pass_obj
def diff(obj: Any, container: str) -> None:
    """Show the files a container added (A), changed (C) or deleted (D)."""
    from hullbox.engine.container_diff import container_changes
    from hullbox.engine.settings.isolation import refuse_in_microvm

    record = obj.engine.containers.get(container)
    refuse_in_microvm(record.config, record.name, "diff")
    for change in container_changes(obj.engine.store, obj.engine.images, record):
        click.echo(f"{change.kind} {change.path}")
