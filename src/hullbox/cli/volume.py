"""``hullbox volume``: create, ls, inspect, rm, prune."""

from __future__ import annotations

from typing import Any

import click

from hullbox.cli.format import print_formatted, print_inspect, print_table
from hullbox.cli.targets import each
from hullbox.errors import HullboxError, InvalidArgument


def _pairs(items: tuple[str, ...], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not key or (flag == "--opt" and not sep):
            raise InvalidArgument(f"invalid {flag} {item!r}: use key=value")
        out[key] = value
    return out


_CLUSTER = "cluster volumes need a swarm manager, and hullbox has no swarm"
#: docker's Cluster Volume flags: any of them typed makes a cluster volume
CLUSTER_FLAGS = ("availability", "group", "limit_bytes", "required_bytes", "scope", "secret",
                 "sharing", "topology_preferred", "topology_required", "type")


def _cluster_options(command: Any) -> Any:
    for flag in reversed(CLUSTER_FLAGS):
        multiple = flag in ("secret", "topology_preferred", "topology_required")
        command = click.option(f"--{flag.replace('_', '-')}", flag, multiple=multiple,
                               default=None, help="Cluster Volume (swarm): refused.")(command)
    return command


@click.command()
@click.option("-d", "--driver", default="local", help="Volume driver (local).")
@click.option("-o", "--opt", multiple=True, metavar="KEY=VALUE",
              help="Driver option: type=tmpfs|none|..., device=..., o=size=64m|bind.")
@click.option("--label", multiple=True, metavar="KEY=VALUE", help="Set metadata.")
@_cluster_options
@click.argument("name", required=False)
@click.pass_obj
def create(obj: Any, /, driver: str, opt: tuple[str, ...], label: tuple[str, ...],
           name: str | None, **cluster: Any) -> None:
    """Create a volume (a random name when NAME is not given); prints its name."""
    typed = [f"--{k.replace('_', '-')}" for k, v in cluster.items() if v]
    if typed:
        raise InvalidArgument(f"{typed[0]}: {_CLUSTER}; leave the cluster flags out")
    record = obj.engine.volumes.create(name, driver=driver, options=_pairs(opt, "--opt"),
                                       labels=_pairs(label, "--label"))
    click.echo(record.name)


def _row(obj: Any, record: Any) -> dict[str, Any]:
    """docker's volume ls row (formatter volumeContext): no CreatedAt nor Options."""
    info = obj.engine.volumes.inspect(record.name)
    return {
        **{key: info[key] for key in ("Driver", "Mountpoint", "Name", "Scope")},
        "Labels": ",".join(f"{k}={v}" for k, v in record.labels.items()),
        "Links": "N/A",
        "Size": "N/A",
        # swarm cluster volumes only
        "Availability": "N/A", "Group": "N/A", "Status": "N/A",
    }


@click.command(name="ls")
@click.option("-q", "--quiet", is_flag=True, help="Only volume names.")
@click.option("--format", "fmt", help="Go template, or json / table.")
@click.option("-f", "--filter", "filters", multiple=True, metavar="KEY=VALUE",
              help="dangling=true|false, driver=, label=KEY[=VALUE], name=.")
@click.option("--cluster", is_flag=True, help="Cluster volumes (swarm): refused.")
@click.pass_obj
def ls(obj: Any, quiet: bool, fmt: str | None, filters: tuple[str, ...],
       cluster: bool) -> None:
    """List volumes."""
    if cluster:
        raise InvalidArgument(f"--cluster: {_CLUSTER}")
    from hullbox.engine.volumes import FILTER_KEYS, parse_volume_filters

    volumes = obj.engine.volumes.list(parse_volume_filters(filters, FILTER_KEYS))
    if quiet:
        for record in volumes:
            click.echo(record.name)
        return
    if print_formatted([_row(obj, record) for record in volumes], fmt, {"Name": "VOLUME NAME"}):
        return
    print_table(["DRIVER", "VOLUME NAME"], [[r.driver, r.name] for r in volumes])


@click.command()
@click.option("-f", "--format", "fmt", help="Go template.")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def inspect(obj: Any, fmt: str | None, names: tuple[str, ...]) -> int:
    """Low-level information on volumes, as JSON."""
    items: list[Any] = []
    failed = 0
    for name in names:
        try:
            items.append(obj.engine.volumes.inspect(name))
        except HullboxError as exc:
            click.echo(f"hullbox: {exc}", err=True)
            failed = exc.exit_code
    print_inspect(items, fmt)
    return failed


@click.command()
@click.option("-f", "--force", is_flag=True, help="No error for a volume that does not exist.")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def rm(obj: Any, force: bool, names: tuple[str, ...]) -> int:
    """Remove volumes no container uses; goes on past a failure, then exits 125."""
    return each(names, lambda name: obj.engine.volumes.remove(name, force=force), echo=True)


@click.command()
@click.option("-a", "--all", "all_", is_flag=True, help="All unused volumes, not only "
              "anonymous ones.")
@click.option("-f", "--force", is_flag=True, help="Do not ask for confirmation.")
@click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE",
              help="label=KEY[=VALUE], label!=KEY[=VALUE], all=true.")
@click.pass_obj
def prune(obj: Any, all_: bool, force: bool, filters: tuple[str, ...]) -> int:
    """Remove unused anonymous volumes (with -a, every unused volume)."""
    from hullbox.engine.units import human_size
    from hullbox.engine.volumes import PRUNE_FILTER_KEYS, parse_volume_filters

    parsed = parse_volume_filters(filters, PRUNE_FILTER_KEYS)  # label!=x: key "label!"
    if not force:
        what = "all local volumes" if all_ else "anonymous local volumes"
        if not click.confirm(f"WARNING! This will remove {what} not used by at least "
                             "one container.\nAre you sure you want to continue?"):
            click.echo("hullbox: volume prune has been cancelled", err=True)
            return 1
    report = obj.engine.volumes.prune(all=all_, filters=parsed)
    if report.deleted:
        click.echo("Deleted Volumes:")
        for name in report.deleted:
            click.echo(name)
        click.echo("")
    click.echo(f"Total reclaimed space: {human_size(report.space_reclaimed)}")
    return 0


@click.command()
@click.option("--availability", default="active", help="Cluster volumes only (swarm).")
@click.argument("name", required=False)
def update(availability: str, name: str | None) -> None:
    """Update a volume (cluster volumes only: refused, hullbox has no swarm)."""
    raise InvalidArgument("volume update works on swarm cluster volumes only, and hullbox "
                          "has no swarm; local volumes have nothing to update")


def register(cli: click.Group) -> None:
    """Add ``hullbox volume`` and its verbs."""
    group = click.Group("volume", help="Manage volumes.")
    for command in (create, ls, inspect, rm, prune, update):
        group.add_command(command)
    group.add_command(ls, "list")
    group.add_command(rm, "remove")
    cli.add_command(group)
