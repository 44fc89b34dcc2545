"""``hullbox system``: what the store holds (``df``), and ``reset``."""

from __future__ import annotations

import sys
from typing import Any

import click

from hullbox.cli.format import print_formatted, print_table


@click.command()
@click.option("--format", "fmt", help="Go template, or json / table.")
@click.option("-v", "--verbose", is_flag=True, help="Each image, container, volume and "
              "cache entry.")
@click.pass_obj
def df(obj: Any, fmt: str | None, verbose: bool) -> None:
    """Show disk usage of images, containers, volumes and the build cache."""
    from hullbox.cli.df_verbose import extra_rows, print_verbose
    from hullbox.engine.image_usage import disk_usage
    from hullbox.engine.units import human_size

    if verbose:
        print_verbose(obj.engine, fmt)
        return
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
    rows += extra_rows(obj.engine)
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


@click.command()
@click.option("-a", "--all", "all_images", is_flag=True,
              help="Remove every unused image, not only dangling ones.")
@click.option("--volumes", is_flag=True, help="Prune anonymous volumes too.")
@click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE",
              help="until=TIME (or a duration ago), label=KEY[=VALUE], label!=KEY[=VALUE].")
@click.option("-f", "--force", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def prune(obj: Any, all_images: bool, volumes: bool, filters: tuple[str, ...],
          force: bool) -> int:
    """Remove unused data: stopped containers, unused networks, dangling images, build cache."""
    from hullbox.engine.system_prune import check_filters, system_prune, warnings
    from hullbox.engine.units import human_size

    described = check_filters(filters, volumes)
    if not force:
        text = "WARNING! This will remove:\n" + "".join(
            f"  - {line}\n" for line in warnings(all_images, volumes))
        if described:
            text += "\n  Items to be pruned will be filtered with:\n" + "".join(
                f"  - {line}\n" for line in described)
        click.echo(text + "\nAre you sure you want to continue? [y/N] ", nl=False)
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            click.echo("hullbox: system prune has been cancelled", err=True)
            return 1
    report = system_prune(obj.engine, all_images=all_images, volumes=volumes, filters=filters)
    sections = [("Deleted Containers:", report.containers),
                ("Deleted Networks:", report.networks),
                ("Deleted Volumes:", report.volumes),
                ("Deleted Images:", [f"untagged: {n}" for n in report.untagged]
                 + [f"deleted: {i}" for i in report.images]),
                ("Deleted build cache objects:", report.cache)]
    for title, lines in sections:
        if lines:
            click.echo("\n".join([title, *lines]) + "\n")
    click.echo(f"Total reclaimed space: {human_size(report.reclaimed)}")
    return 0


def register(cli: click.Group) -> None:
    from hullbox.cli.events import events
    from hullbox.cli.info import info

    group = click.Group("system", help="Manage hullbox.")
    group.add_command(df)
    group.add_command(events)
    group.add_command(info)
    group.add_command(prune)
    group.add_command(reset)
    cli.add_command(group)
    cli.add_command(events)
