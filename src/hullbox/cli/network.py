"""``hullbox network ...`` and ``hullbox port``."""

from __future__ import annotations

from typing import Any

import click

from hullbox.cli.docker_bools import DockerBoolCommand
from hullbox.cli.format import print_formatted, print_table
from hullbox.cli.targets import each, inspect_each
from hullbox.errors import InvalidArgument


@click.group(name="network", help="Manage networks.")
def network() -> None:
    """The network verbs."""


def _labels(values: tuple[str, ...]) -> dict[str, str]:
    return {k: v for k, _, v in (item.partition("=") for item in values)}


_SWARM = "this node is not a swarm manager: hullbox has no swarm"


@network.command(cls=DockerBoolCommand)
@click.option("-d", "--driver", default="bridge", help="Network driver (bridge).")
@click.option("-o", "--opt", multiple=True, metavar="KEY=VALUE",
              help="Bridge driver option: com.docker.network.bridge.name, "
                   "com.docker.network.driver.mtu, com.docker.network.bridge."
                   "enable_ip_masquerade, ..enable_icc, ..host_binding_ipv4 (others are "
                   "kept and shown, as Docker does).")
@click.option("--subnet", multiple=True,
              help="Subnet in CIDR form, e.g. 10.90.0.0/24; again for IPv6 (fd00:90::/64).")
@click.option("--gateway", multiple=True, help="Gateway address inside the subnet.")
@click.option("--ip-range", multiple=True,
              help="Hand out container addresses from this part of the subnet.")
@click.option("--aux-address", multiple=True, metavar="NAME=IP",
              help="An address of the subnet never handed out to a container.")
@click.option("--ipam-driver", default="default", help="IP address manager (default only).")
@click.option("--ipam-opt", multiple=True, metavar="KEY=VALUE",
              help="IPAM option, kept and shown by inspect.")
@click.option("--ipv4/--no-ipv4", default=True,
              help="IPv4 addresses (--ipv4=false, an IPv6-only network, is not supported).")
@click.option("--ipv6/--no-ipv6", default=False, help="Give containers IPv6 addresses too.")
@click.option("--internal/--no-internal", default=False,
              help="No way out of the network, and no published ports.")
@click.option("--attachable/--no-attachable", default=False,
              help="Accepted: containers can always join a local network.")
@click.option("--config-only/--no-config-only", default=False,
              help="Only a configuration, for networks made with --config-from.")
@click.option("--config-from", default="", metavar="NETWORK",
              help="Take subnet, gateway and options from this config-only network.")
@click.option("--scope", default="", help="local (swarm and global need a swarm).")
@click.option("--ingress/--no-ingress", default=False, help="Swarm routing mesh: refused.")
@click.option("--label", multiple=True, help="key=value metadata.")
@click.argument("name")
@click.pass_obj
def create(obj: Any, driver: str, opt: tuple[str, ...], subnet: tuple[str, ...],
           gateway: tuple[str, ...], ip_range: tuple[str, ...], aux_address: tuple[str, ...],
           ipam_driver: str, ipam_opt: tuple[str, ...], ipv4: bool, ipv6: bool,
           internal: bool, attachable: bool, config_only: bool, config_from: str,
           scope: str, ingress: bool, label: tuple[str, ...], name: str) -> None:
    """Create a bridge network; prints its ID."""
    from hullbox.engine.netplan import sort_by_family
    from hullbox.network.netopts import NetworkSettings, key_values

    if ingress:
        raise InvalidArgument(f"--ingress: {_SWARM} (its routing mesh is swarm's)")
    if scope not in ("", "local"):
        raise InvalidArgument(f"--scope {scope}: {_SWARM}; use local or leave it out")
    if not ipv4:
        raise InvalidArgument("--ipv4=false: IPv6-only networks are not supported; hullbox's "
                              "networks always have IPv4 (add --ipv6 for both)")
    if ipam_driver != "default":
        raise InvalidArgument(f"--ipam-driver {ipam_driver}: only the default IPAM driver "
                              "is built in")
    if config_from and (subnet or gateway or ip_range or aux_address or opt or ipam_opt
                        or ipv6 or config_only):
        raise InvalidArgument(f"--config-from {config_from}: the configuration comes from "
                              "that network; drop --subnet, --gateway, --ip-range, "
                              "--aux-address, -o, --ipam-opt and --ipv6")
    settings = NetworkSettings(key_values(opt, "-o"), key_values(ipam_opt, "--ipam-opt"),
                               key_values(aux_address, "--aux-address"), attachable,
                               config_only, config_from)
    addressing = sort_by_family(list(subnet), list(gateway), list(ip_range), ipv6)
    made = obj.engine.networks.create(name, driver=driver, labels=_labels(label),
                                      internal=internal, addressing=addressing,
                                      settings=settings)
    click.echo(made.id)


def _row(net: Any) -> dict[str, Any]:
    """docker's network ls row (formatter networkContext)."""
    from hullbox.cli.gotemplate import go_time

    return {"ID": net.id[:12], "Name": net.name, "Driver": net.driver, "Scope": "local",
            "IPv6": "true" if net.subnet6 else "false",
            "Internal": "true" if net.internal else "false",
            "Labels": ",".join(f"{k}={v}" for k, v in net.labels.items()),
            "CreatedAt": go_time(net.created, fraction=True)}


@network.command(name="ls")
@click.option("-q", "--quiet", is_flag=True, help="Only IDs.")
@click.option("--no-trunc", is_flag=True, help="Full IDs.")
@click.option("-f", "--filter", "filters", multiple=True, metavar="KEY=VALUE",
              help="driver=, id=, label=, name=, scope=, type=custom|builtin, "
                   "dangling=true|false.")
@click.option("--format", "fmt", help="Go template, or json / table.")
@click.pass_obj
def list_networks(obj: Any, quiet: bool, no_trunc: bool, filters: tuple[str, ...],
                  fmt: str | None) -> None:
    """List networks."""
    from hullbox.engine.network_filters import ls_matcher, parse_ls_filters

    wanted = parse_ls_filters(filters)
    networks = obj.engine.networks.list()
    if wanted:
        service = obj.engine.networks
        networks = [n for n in networks
                    if ls_matcher(wanted, lambda net: bool(service.users(net)))(n)]
    rows = [_row(n) | ({"ID": n.id} if no_trunc else {}) for n in networks]
    if quiet:
        for row in rows:
            click.echo(row["ID"])
    elif not print_formatted(rows, fmt, {"ID": "NETWORK ID", "CreatedAt": "CREATED AT"}):
        print_table(["NETWORK ID", "NAME", "DRIVER", "SCOPE"],
                    [[r["ID"], r["Name"], r["Driver"], r["Scope"]] for r in rows])


@network.command()
@click.option("-f", "--format", "fmt", help="Go template.")
@click.option("-v", "--verbose", is_flag=True,
              help="Docker adds swarm services; a local network shows the same.")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def inspect(obj: Any, fmt: str | None, verbose: bool, names: tuple[str, ...]) -> int:
    """Low-level information on networks, as JSON."""
    return inspect_each(names, obj.engine.networks.inspect, fmt)


@network.command(name="rm")
@click.option("-f", "--force", is_flag=True, help="No error for a network that does not exist.")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def remove(obj: Any, force: bool, names: tuple[str, ...]) -> int:
    """Remove networks; goes on past a failure and exits 125 if any failed."""
    from hullbox.errors import NetworkNotFound

    def remove_one(name: str) -> None:
        try:
            obj.engine.networks.remove(name)
        except NetworkNotFound:
            if not force:
                raise

    return 125 if each(names, remove_one, echo=True) else 0


@network.command()
@click.option("-f", "--force", is_flag=True, help="Do not ask (hullbox never asks).")
@click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE",
              help="until=DURATION|TIME (made before), label=K[=V], label!=K[=V].")
@click.pass_obj
def prune(obj: Any, force: bool, filters: tuple[str, ...]) -> None:
    """Remove every user-defined network no container uses."""
    from hullbox.engine.network_filters import parse_prune_filters

    removed = obj.engine.networks.prune(parse_prune_filters(filters))
    if removed:
        click.echo("Deleted Networks:")
        for name in removed:
            click.echo(name)


@network.command()
@click.option("--alias", multiple=True, help="Extra name on the network.")
@click.option("--ip", default="", help="IPv4 address on the network.")
@click.option("--ip6", default="", help="IPv6 address on the network (an --ipv6 network).")
@click.option("--link-local-ip", multiple=True,
              help="Another address of the interface, in 169.254.0.0/16 or fe80::/10.")
@click.option("--link", multiple=True, metavar="CONTAINER[:ALIAS]",
              help="A name for another container of the network that only this one sees.")
@click.option("--driver-opt", multiple=True, metavar="KEY=VALUE",
              help="Endpoint option; com.docker.network.endpoint.sysctls="
                   "net.ipv4.conf.IFNAME.X=V sets the interface's sysctls.")
@click.option("--gw-priority", type=int, default=0,
              help="The network of the highest priority gives the default route "
                   "(the one the container was created on: 0).")
@click.argument("name")
@click.argument("container")
@click.pass_obj
def connect(obj: Any, alias: tuple[str, ...], ip: str, ip6: str,
            link_local_ip: tuple[str, ...], link: tuple[str, ...],
            driver_opt: tuple[str, ...], gw_priority: int, name: str, container: str) -> None:
    """Connect a container to a network."""
    obj.engine.networks.connect(name, container, aliases=list(alias), ip=ip, ip6=ip6,
                                link_local=list(link_local_ip), links=list(link),
                                driver_opts=list(driver_opt), gw_priority=gw_priority)


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
