"""``hullbox system``: what the store holds (``df``), and ``reset``."""

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


@click.command()
@click.option("-f", "--force", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def reset(obj: Any, force: bool) -> int:
    """Remove every container, VM, network, volume and image of the store."""
    from hullbox.engine.reset import reset as reset_store

    if not force and not click.confirm(
            f"WARNING! This will remove every container (running ones are killed), VM, "
            f"network, volume and image of the store {obj.engine.store.root}.\n"
            "Are you sure you want to continue?"):
        click.echo("hullbox: system reset has been cancelled", err=True)
        return 1
    report = reset_store(obj.engine)
    counts = [(len(report.containers), "container"), (len(report.machines), "VM"),
              (len(report.networks), "network"), (len(report.volumes), "volume"),
              (len(report.images), "image")]
    click.echo("Removed " + ", ".join(f"{n} {kind}{'' if n == 1 else 's'}"
                                      for n, kind in counts))
    for failure in report.failures:
        click.echo(f"hullbox: {failure}", err=True)
    return 1 if report.failures else 0


def register(cli: click.Group) -> None:
    from hullbox.cli.events import events
    from hullbox.cli.info import info

    group = click.Group("system", help="Manage hullbox.")
    group.add_command(df)
    group.add_command(events)
    group.add_command(info)
    group.add_command(reset)
    cli.add_command(group)
    cli.add_command(events)
