"""``hullbox buildx ls|inspect|use|du|version``: the one builder there is
(``default``, driver hullbox, this host's platform) and its cache."""

from __future__ import annotations

import json

import click

from hullbox import __version__
from hullbox.cli.format import ago, print_formatted, print_table
from hullbox.errors import InvalidArgument

DRIVER = "hullbox"


def _host_platform() -> str:
    from hullbox.engine.buildx import host_platform

    return host_platform()


def check_builder(name: str | None) -> None:
    """Only the builder hullbox has, ``default``, can be named."""
    if name not in (None, "", "default"):
        raise InvalidArgument(f"no builder {name!r} found: hullbox has one builder, "
                              "\"default\" (see: hullbox buildx ls)")


@click.command(name="ls")
@click.option("--format", "fmt", default=None, help="table (default) or json.")
@click.option("--no-trunc", is_flag=True, help="Don't truncate output (nothing is).")
def ls(fmt: str | None, no_trunc: bool) -> None:
    """List builder instances (one: default)."""
    platform = _host_platform()
    row = {"Name": "default", "Driver": DRIVER, "Current": True,
           "Nodes": [{"Name": "default", "Endpoint": "default", "Status": "running",
                      "Version": __version__, "Platforms": [platform]}]}
    if fmt and fmt.strip() == "json":
        click.echo(json.dumps(row))
        return
    print_table(["NAME/NODE", "DRIVER/ENDPOINT", "STATUS", "BUILDKIT", "PLATFORMS"],
                [["default*", DRIVER, "", "", ""],
                 [" \\_ default", " \\_ default", "running", f"hullbox {__version__}",
                  platform]])


@click.command(name="du")
@click.option("--format", "fmt", default=None, help="json, or a Go template.")
@click.option("--verbose", is_flag=True, help="The same table (hullbox keeps no more).")
def du(fmt: str | None, verbose: bool) -> None:
    """Disk usage of the build cache."""
    from hullbox.engine.buildx import cache_entries
    from hullbox.engine.prune_filters import rfc3339_seconds
    from hullbox.engine.units import human_size

    entries = cache_entries(click.get_current_context().obj.engine.store)
    rows = [{"ID": e.chain_id.removeprefix("sha256:"), "Reclaimable": "true",
             "Size": human_size(e.size), "LastUsedAt": e.created,
             "LastAccessed": ago(rfc3339_seconds(e.created))} for e in entries]
    if print_formatted(rows, fmt):
        return
    print_table(["ID", "RECLAIMABLE", "SIZE", "LAST ACCESSED"],
                [[r["ID"][:25], r["Reclaimable"], r["Size"], r["LastAccessed"]]
                 for r in rows])
    total = human_size(sum(e.size for e in entries))
    click.echo(f"Reclaimable:\t{total}\nTotal:\t\t{total}")


@click.command(name="version")
def version() -> None:
    """Show buildx version information (hullbox's builder)."""
    click.echo(f"hullbox/buildx v{__version__} {DRIVER}")


@click.command(name="inspect")
@click.option("--bootstrap", is_flag=True, help="Ensure builder has booted (it always has).")
@click.argument("name", required=False)
def inspect(bootstrap: bool, name: str | None) -> None:
    """Inspect the current builder instance."""
    check_builder(name)
    click.echo(f"Name:          default\nDriver:        {DRIVER}\n\nNodes:\n"
               f"Name:             default\nEndpoint:         default\n"
               f"Status:           running\nBuildKit version: hullbox {__version__}\n"
               f"Platforms:        {_host_platform()}")


@click.command(name="use")
@click.option("--default", "as_default", is_flag=True, help="Set builder as default (it is).")
@click.option("--global", "as_global", is_flag=True, help="Builder persists context changes.")
@click.argument("name")
def use(as_default: bool, as_global: bool, name: str) -> None:
    """Set the current builder instance (only default exists)."""
    check_builder(name)
