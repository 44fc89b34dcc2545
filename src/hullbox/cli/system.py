"""``hullbox system``: what the store holds (``df``)."""

from __future__ import annotations

from typing import Any

import click

from hullbox.cli.format import print_formatted, print_table


@click.command()
@click.option("--format", "fmt", help="Go template, or json / table.")
@click.pass_obj
def df(obj: Any, fmt: str | None) -> None:
    """Show disk usage of images and containers."""
    from hullbox.engine.image_usage import disk_usage
    from hullbox.engine.units import human_size

    rows = []
    for usage in disk_usage(obj.engine.images):
        share = f" ({100 * usage.reclaimable // usage.size}%)" if usage.size else ""
        rows.append({
            "Type": usage.kind,
            "TotalCount": str(usage.total),
            "Active": str(usage.active),
            "Size": human_size(usage.size),
            "Reclaimable": human_size(usage.reclaimable) + share,
        })
    if print_formatted(rows, fmt):
        return
    print_table(["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"],
                [[r["Type"], r["TotalCount"], r["Active"], r["Size"], r["Reclaimable"]]
                 for r in rows])


def register(cli: click.Group) -> None:
    from hullbox.cli.info import info

    group = click.Group("system", help="Manage hullbox.")
    group.add_command(df)
    group.add_command(info)
    cli.add_command(group)
