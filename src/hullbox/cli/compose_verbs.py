"""More ``hullbox compose`` verbs, as docker compose users type them:
``exec``, ``build``, ``pull``, ``push``, ``port``, ``top``, ``pause`` and
``unpause``. Each picks the project's containers or services and makes the
same engine call as the single-container verb."""

from __future__ import annotations

import os
from typing import Any

import click

from hullbox.errors import ContainerNotFound, HullboxError

_TRAILING = {"allow_interspersed_args": False, "help_option_names": ["--help"]}


def _bound(obj: Any, services: list[str] | None = None) -> Any:
    from hullbox.cli.compose import _bound as bound

    return bound(obj, services)


def _container(bound: Any, service: str, index: int) -> Any:
    """Replica ``index`` of ``service``, running or not."""
    from hullbox.compose.operations import number_of

    bound.project.service(service)
    for record in bound.containers([service]):
        if number_of(record) == index:
            return record
    raise ContainerNotFound(f"service {service!r} has no container number {index}; "
                            "start it with: hullbox compose up -d " + service)


def _names(bound: Any, services: tuple[str, ...]) -> list[str]:
    for name in services:
        bound.project.service(name)
    return list(services) or bound.project.ordered()


@click.command("exec", context_settings=_TRAILING)
@click.option("-d", "--detach", is_flag=True, help="Run the command in the background.")
@click.option("-T", "--no-tty", "no_tty", is_flag=True, help="Do not allocate a TTY.")
@click.option("-e", "--env", multiple=True, help="Set an environment variable.")
@click.option("-w", "--workdir", default=None, help="Working directory inside.")
@click.option("-u", "--user", default=None, help="user[:group], by name or number.")
@click.option("--index", type=int, default=1, help="Which replica (default 1).")
@click.argument("service")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@click.pass_obj
def exec_(obj: Any, /, detach: bool, no_tty: bool, env: tuple[str, ...], workdir: str | None,
          user: str | None, index: int, service: str,
          command: tuple[str, ...]) -> int:
    """Run COMMAND in a running container of SERVICE; exit with its code."""
    from hullbox.engine.exec import ExecOptions

    bound = _bound(obj, [service])
    record = _container(bound, service, index)
    tty = not no_tty and os.isatty(0) and os.isatty(1)
    options = ExecOptions(env=list(env), workdir=workdir, user=user, tty=tty)
    if detach:
        bound.engine.processes.exec_detached(record.id, list(command), options)
        return 0
    return int(bound.engine.processes.exec(record.id, list(command), options, stdin=0))


@click.command("build")
@click.argument("services", nargs=-1)
@click.option("--no-cache", is_flag=True, help="Do not use the build cache.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.pass_obj
def build(obj: Any, services: tuple[str, ...], no_cache: bool, quiet: bool) -> None:
    """Build the services' images (those with build:)."""
    from hullbox.compose.images import build_services

    bound = _bound(obj, list(services))
    progress = (lambda _line: None) if quiet else bound.progress
    build_services(bound.engine, bound.project.name, bound.project.services,
                   _names(bound, services), progress, no_cache=no_cache)


def _each_service(names: list[str], action: Any, ignore_failures: bool) -> int:
    """Run ``action`` per service; with ``ignore_failures`` a failure is a
    warning, else the first one ends the command."""
    for name in names:
        try:
            action(name)
        except HullboxError as exc:
            if not ignore_failures:
                raise
            click.echo(f"WARN: {name}: {exc}", err=True)
    return 0


@click.command("pull")
@click.argument("services", nargs=-1)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--ignore-buildable", is_flag=True, help="Skip services that build.")
@click.option("--ignore-pull-failures", is_flag=True, help="Go on past failed pulls.")
@click.pass_obj
def pull(obj: Any, services: tuple[str, ...], quiet: bool, ignore_buildable: bool,
         ignore_pull_failures: bool) -> int:
    """Pull the services' images."""
    from hullbox.compose.images import pull_service, pullable
    from hullbox.compose.naming import service_image

    bound = _bound(obj, list(services))
    project = bound.project
    progress = (lambda _line: None) if quiet else bound.progress
    names = pullable(project.services, _names(bound, services),
                     ignore_buildable=ignore_buildable)
    return _each_service(names, lambda n: pull_service(
        bound.engine, n, service_image(project.name, n, project.services[n]), progress),
        ignore_pull_failures)


@click.command("push")
@click.argument("services", nargs=-1)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--ignore-push-failures", is_flag=True, help="Go on past failed pushes.")
@click.pass_obj
def push(obj: Any, services: tuple[str, ...], quiet: bool, ignore_push_failures: bool) -> int:
    """Push the services' built images to their registries."""
    from hullbox.compose.images import push_service, pushable
    from hullbox.compose.naming import service_image

    bound = _bound(obj, list(services))
    project = bound.project
    progress = (lambda _line: None) if quiet else bound.progress
    names = pushable(project.services, _names(bound, services))
    return _each_service(names, lambda n: push_service(
        bound.engine, n, service_image(project.name, n, project.services[n]), progress),
        ignore_push_failures)


@click.command("port")
@click.option("--index", type=int, default=1, help="Which replica (default 1).")
@click.option("--protocol", type=click.Choice(["tcp", "udp"]), default="tcp",
              help="tcp or udp.")
@click.argument("service")
@click.argument("private_port")
@click.pass_obj
def port(obj: Any, index: int, protocol: str, service: str, private_port: str) -> None:
    """Print the host address a container port of SERVICE is published on."""
    from hullbox.engine.networks import published
    from hullbox.errors import InvalidArgument

    bound = _bound(obj, [service])
    record = _container(bound, service, index)
    ports = published(bound.engine.store, record.id) if record.state == "running" else []
    for entry in ports:
        if str(entry.container_port) == private_port and entry.proto == protocol:
            click.echo(f"{entry.host_ip}:{entry.host_port}")
            return
    raise InvalidArgument(f"no port {private_port}/{protocol} for container {record.name}: "
                          "it is not published (ports: in the compose file)")


@click.command("top")
@click.argument("services", nargs=-1)
@click.pass_obj
def top(obj: Any, services: tuple[str, ...]) -> None:
    """Show the processes of the services' running containers."""
    from hullbox.cli.format import print_table

    bound = _bound(obj)
    for number, record in enumerate(bound.containers(list(services) or None,
                                                     running_only=True)):
        table = bound.engine.processes.top(record.id, [])
        click.echo(("\n" if number else "") + record.name)
        print_table(table.titles, table.processes)


def _freeze(name: str, doc: str, frozen: bool) -> click.Command:
    @click.argument("services", nargs=-1)
    @click.pass_obj
    def command(obj: Any, services: tuple[str, ...]) -> None:
        bound = _bound(obj)
        action = bound.engine.processes.pause if frozen else bound.engine.processes.unpause
        from hullbox.engine.runstatus import paused

        for record in bound.containers(list(services) or None, running_only=True):
            if paused(record) == frozen:
                continue  # as docker compose: pause the running, unpause the paused
            action(record.id)
            bound.report(record.name, "Paused" if frozen else "Unpaused")

    command.__doc__ = doc
    return click.command(name)(command)


VERBS = [exec_, build, pull, push, port, top,
         _freeze("pause", "Pause the services' running containers.", True),
         _freeze("unpause", "Unpause the services' paused containers.", False)]


def add_verbs(group: click.Group) -> None:
    """Add these verbs to the ``compose`` group."""
    for verb in VERBS:
        group.add_command(verb)
