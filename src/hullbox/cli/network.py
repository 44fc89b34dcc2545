"""``hullbox network ...`` and ``hullbox port``."""

from __future__ import annotations

import json
from typing import Any

import click

from hullbox.cli.format import print_table, render_template
from hullbox.cli.targets import each, inspect_each
from hullbox.errors import InvalidArgument


@click.group(name="network", help="Manage networks.")
def network() -> None:
    """The network verbs."""


def _labels(values: tuple[str, ...]) -> dict[str, str]:
    return {k: v for k, _, v in (item.partition("=") for item in values)}


@network.command()
@click.option("-d", "--driver", default="bridge", help="Network driver (bridge).")
@click.option("--subnet", multiple=True,
              help="Subnet in CIDR form, e.g. 10.90.0.0/24; again for IPv6 (fd00:90::/64).")
@click.option("--gateway", multiple=True, help="Gateway address inside the subnet.")
@click.option("--ip-range", multiple=True,
              help="Hand out container addresses from this part of the subnet.")
@click.option("--ipv6", is_flag=True, help="Give containers IPv6 addresses too.")
@click.option("--internal", is_flag=True,
              help="No way out of the network, and no published ports.")
@click.option("--label", multiple=True, help="key=value metadata.")
@click.argument("name")
@click.pass_obj
def create(obj: Any, driver: str, subnet: tuple[str, ...], gateway: tuple[str, ...],
           ip_range: tuple[str, ...], ipv6: bool, internal: bool, label: tuple[str, ...],
           name: str) -> None:
    """Create a bridge network; prints its ID."""
    from hullbox.engine.netplan import sort_by_family

    addressing = sort_by_family(list(subnet), list(gateway), list(ip_range), ipv6)
    made = obj.engine.networks.create(name, driver=driver, labels=_labels(label),
                                      internal=internal, addressing=addressing)
    click.echo(made.id)


def _row(net: Any) -> dict[str, Any]:
    return {"ID": net.id[:12], "Name": net.name, "Driver": net.driver, "Scope": "local",
            "Subnet": net.subnet, "Gateway": net.gateway}


@network.command(name="ls")
@click.option("-q", "--quiet", is_flag=True, help="Only IDs.")
@click.option("--no-trunc", is_flag=True, help="Full IDs.")
@click.option("--format", "fmt", help="Go template, or json / table.")
@click.pass_obj
def list_networks(obj: Any, quiet: bool, no_trunc: bool, fmt: str | None) -> None:
    """List networks."""
    networks = obj.engine.networks.list()
    rows = [_row(n) | ({"ID": n.id} if no_trunc else {}) for n in networks]
    if quiet:
        for row in rows:
            click.echo(row["ID"])
    elif fmt == "json":
        for row in rows:
            click.echo(json.dumps(row))
    elif fmt and fmt != "table":
        for row in rows:
            click.echo(render_template(fmt, row))
    else:
        print_table(["NETWORK ID", "NAME", "DRIVER", "SCOPE"],
                    [[r["ID"], r["Name"], r["Driver"], r["Scope"]] for r in rows])


@network.command()
@click.option("-f", "--format", "fmt", help="Go template.")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def inspect(obj: Any, fmt: str | None, names: tuple[str, ...]) -> int:
    """Low-level information on networks, as JSON."""
    return inspect_each(names, obj.engine.networks.inspect, fmt)


@network.command(name="rm")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def remove(obj: Any, names: tuple[str, ...]) -> int:
    """Remove networks; goes on past a failure and exits 125 if any failed."""
    return 125 if each(names, obj.engine.networks.remove, echo=True) else 0


@network.command()
@click.option("-f", "--force", is_flag=True, help="Do not ask (hullbox never asks).")
@click.pass_obj
def prune(obj: Any, force: bool) -> None:
    """Remove every user-defined network no container uses."""
    removed = obj.engine.networks.prune()
    if removed:
        click.echo("Deleted Networks:")
        for name in removed:
            click.echo(name)


@network.command()
@click.option("--alias", multiple=True, help="Extra name on the network.")
@click.option("--ip", default="", help="IPv4 address on the network.")
@click.argument("name")
@click.argument("container")
@click.pass_obj
def connect(obj: Any, alias: tuple[str, ...], ip: str, name: str, container: str) -> None:
    """Connect a container to a network."""
    obj.engine.networks.connect(name, container, aliases=list(alias), ip=ip)


@network.command()
@click.option("-f", "--force", is_flag=True, help="Accepted for Docker compatibility.")
@click.argument("name")
@click.argument("container")
@click.pass_obj
def disconnect(obj: Any, force: bool, name: str, container: str) -> None:
    """Disconnect a container from a network."""
    obj.engine.networks.disconnect(name, container)


@click.command()
@click.argument("container")
@click.argument("private_port", required=False)
@click.pass_obj
def port(obj: Any, container: str, private_port: str | None) -> None:
    """List a container's published ports, or the host side of one."""
    from hullbox.engine.networks import published

    record = obj.engine.containers.get(container)
    ports = published(obj.engine.store, record.id) if record.state == "running" else []
    if private_port:
        number, _, proto = private_port.partition("/")
        matching = [p for p in ports
                    if str(p.container_port) == number and p.proto == (proto or "tcp")]
        if not matching:
            raise InvalidArgument(f"no public port '{private_port}' published for "
                                  f"{record.name}")
        for p in matching:
            click.echo(_host(p))
        return
    for p in ports:
        click.echo(f"{p.container_port}/{p.proto} -> {_host(p)}")


def _host(published: Any) -> str:
    """``0.0.0.0:8080``, ``[::]:8080``: Docker's spelling."""
    address = published.host_ip
    return f"[{address}]:{published.host_port}" if ":" in address else \
        f"{address}:{published.host_port}"


def ports_column(store: Any, container_id: str) -> str:
    """The PORTS column of ``ps``: Docker's ``0.0.0.0:8080->80/tcp, ...``."""
    from hullbox.engine.networks import published

    return ", ".join(str(p) for p in published(store, container_id))


def register(cli: click.Group) -> None:
    """Add ``network`` and ``port``."""
    cli.add_command(network)
    cli.add_command(port)
