"""``hullbox compose`` verbs of docker compose v2 beyond the classic ones:
``ls``, ``version``, ``create``, ``scale``, ``wait``, ``stats``, ``volumes``
and ``cp``, with docker compose's flags."""

from __future__ import annotations

import io
import json
import sys
from typing import Any

import click

from hullbox.errors import InvalidArgument


def _bound(obj: Any, services: list[str] | None = None) -> Any:
    from hullbox.cli.compose import _bound as bound

    return bound(obj, services)


@click.command("ls")
@click.option("-a", "--all", "everything", is_flag=True, help="Show stopped projects too.")
@click.option("-q", "--quiet", is_flag=True, help="Only project names.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              help="table or json.")
@click.option("--filter", "filters", multiple=True, metavar="name=NAME",
              help="Only the projects whose name contains NAME.")
@click.pass_obj
def ls(obj: Any, everything: bool, quiet: bool, fmt: str, filters: tuple[str, ...]) -> None:
    """List the projects with running containers (all with -a)."""
    from hullbox.cli.format import print_table
    from hullbox.compose.listing import projects

    names = []
    for item in filters:
        key, _, value = item.partition("=")
        if key != "name":
            raise InvalidArgument(f"invalid --filter {item!r}: use name=NAME")
        names.append(value)
    rows = [row for row in projects(obj.parent.engine, everything=everything)
            if all(name in row["Name"] for name in names)]
    if quiet:
        click.echo("".join(f"{row['Name']}\n" for row in rows), nl=False)
    elif fmt == "json":
        click.echo(json.dumps(rows))
    else:
        print_table(["NAME", "STATUS", "CONFIG FILES"],
                    [[r["Name"], r["Status"], r["ConfigFiles"]] for r in rows])


@click.command("version")
@click.option("--short", is_flag=True, help="Only the version number.")
@click.option("-f", "--format", "fmt", type=click.Choice(["pretty", "json"]),
              default="pretty", help="pretty or json.")
def version(short: bool, fmt: str) -> None:
    """Show the version of hullbox compose."""
    from hullbox import __version__

    if short:
        click.echo(__version__)
    elif fmt == "json":
        click.echo(json.dumps({"version": f"v{__version__}"}))
    else:
        click.echo(f"hullbox compose version v{__version__}")


@click.command("create")
@click.argument("services", nargs=-1)
@click.option("--build", is_flag=True, help="Build images before creating.")
@click.option("--no-build", is_flag=True, help="Do not build missing images.")
@click.option("--force-recreate", is_flag=True, help="Recreate even if unchanged.")
@click.option("--no-recreate", is_flag=True, help="Keep existing containers.")
@click.option("--remove-orphans", is_flag=True, help="Remove containers of gone services.")
@click.option("--scale", multiple=True, metavar="SERVICE=NUM", help="Number of replicas.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask (hullbox never asks).")
@click.pass_obj
def create(obj: Any, services: tuple[str, ...], build: bool, no_build: bool,
           force_recreate: bool, no_recreate: bool, remove_orphans: bool,
           scale: tuple[str, ...], yes: bool) -> None:
    """Create the services' containers without starting them."""
    from hullbox.cli.compose import _scale
    from hullbox.compose.operations import UpOptions

    if build and no_build:
        raise InvalidArgument("--build and --no-build exclude each other; use one")
    if force_recreate and no_recreate:
        raise InvalidArgument("--force-recreate and --no-recreate exclude each other; use one")
    _bound(obj, list(services)).up(list(services) or None, UpOptions(
        scale=_scale(scale), no_start=True, build=build, force_recreate=force_recreate,
        no_recreate=no_recreate, remove_orphans=remove_orphans))


@click.command("scale")
@click.argument("replicas", nargs=-1, required=True, metavar="SERVICE=REPLICAS...")
@click.option("--no-deps", is_flag=True, help="Do not start the services' dependencies.")
@click.pass_obj
def scale(obj: Any, replicas: tuple[str, ...], no_deps: bool) -> None:
    """Run this many containers of each service (keeping the others)."""
    from hullbox.cli.compose import _scale
    from hullbox.compose.operations import UpOptions

    counts = _scale(replicas)
    bound = _bound(obj, list(counts))
    for name in counts:
        bound.project.service(name)
    bound.up(list(counts), UpOptions(scale=counts, no_deps=no_deps, no_recreate=True))


@click.command("wait")
@click.argument("services", nargs=-1, required=True)
@click.option("--down-project", is_flag=True, help="Drop the project once a container stops.")
@click.pass_obj
def wait(obj: Any, services: tuple[str, ...], down_project: bool) -> int:
    """Block until the services' containers stop; exit with the last one's code."""
    from hullbox.compose.listing import wait_exits
    from hullbox.errors import ContainerNotFound

    bound = _bound(obj, list(services))
    for name in services:
        bound.project.service(name)
    records = bound.containers(list(services)) + bound.containers(list(services), oneoff=True)
    if not records:
        raise ContainerNotFound(f"no containers for project {bound.project.name!r}; "
                                "create them with: hullbox compose up -d")
    code = 0
    for record, code in wait_exits(bound, records):
        click.echo(f'container "{record.id}" exited with status code {code}')
        if down_project:
            bound.down(remove_orphans=True)
            break
    return code


@click.command("stats")
@click.argument("services", nargs=-1)
@click.option("-a", "--all", "show_all", is_flag=True, help="All containers, not only running.")
@click.option("--no-stream", is_flag=True, help="Print one sample and exit.")
@click.option("--no-trunc", is_flag=True, help="Do not truncate IDs.")
@click.option("--format", "fmt", help="Go template, table TEMPLATE, or json.")
@click.pass_obj
def stats(obj: Any, services: tuple[str, ...], show_all: bool, no_stream: bool,
          no_trunc: bool, fmt: str | None) -> None:
    """Live resource use of the services' containers."""
    from hullbox.cli.processes import stats as container_stats

    bound = _bound(obj)
    names = tuple(r.name for r in bound.containers(list(services) or None,
                                                   running_only=not show_all))
    if not names:
        return  # an empty project: not every container of the host
    with click.Context(container_stats, obj=obj.parent) as context:
        context.invoke(container_stats, show_all=show_all, no_stream=no_stream,
                       no_trunc=no_trunc, fmt=fmt, containers=names)


@click.command("volumes")
@click.argument("services", nargs=-1)
@click.option("-q", "--quiet", is_flag=True, help="Only volume names.")
@click.option("--format", "fmt", help="Go template, or json / table.")
@click.pass_obj
def volumes(obj: Any, services: tuple[str, ...], quiet: bool, fmt: str | None) -> None:
    """List the project's volumes (those the SERVICES use, when named)."""
    from hullbox.cli.format import print_formatted, print_table
    from hullbox.compose import naming
    from hullbox.compose.resources import used_volumes

    bound = _bound(obj, list(services))
    project = bound.project
    found = bound.engine.volumes.list({"label": [f"{naming.LABEL_PROJECT}={project.name}"]})
    if services:
        model = project.model.get("volumes") or {}
        keep = {str((model.get(key) or {}).get("name") or f"{project.name}_{key}")
                for key in used_volumes(project.services, list(services))}
        found = [v for v in found if v.name in keep]
    if quiet:
        click.echo("".join(f"{v.name}\n" for v in found), nl=False)
        return
    rows = [{"Driver": v.driver, "Name": v.name,
             "Labels": ",".join(f"{k}={val}" for k, val in v.labels.items())} for v in found]
    if not print_formatted(rows, fmt, {"Name": "VOLUME NAME"}):
        print_table(["DRIVER", "VOLUME NAME"], [[v.driver, v.name] for v in found])


@click.command("cp")
@click.option("--all", "every", is_flag=True, help="Copy to every container of the service.")
@click.option("-a", "--archive", is_flag=True, help="Keep uid/gid of the source files.")
@click.option("-L", "--follow-link", is_flag=True, help="Follow a symlink given as SRC.")
@click.option("--index", type=int, default=0, help="Which replica (default: the first).")
@click.argument("src")
@click.argument("dest")
@click.pass_obj
def cp(obj: Any, every: bool, archive: bool, follow_link: bool, index: int, src: str,
       dest: str) -> None:
    """Copy files between a service's container and the host.

    \b
    hullbox compose cp SERVICE:SRC DEST    (DEST - writes a tar stream to stdout)
    hullbox compose cp SRC SERVICE:DEST    (SRC - reads a tar stream from stdin)
    """
    from hullbox.cli.compose_verbs import _container
    from hullbox.engine.copy import split_argument

    source, src_path = split_argument(src)
    target, dest_path = split_argument(dest)
    if (source is None) == (target is None):
        raise InvalidArgument("name one side as SERVICE:PATH: hullbox compose cp "
                              "SERVICE:SRC DEST or SRC SERVICE:DEST")
    service = str(source or target)
    bound = _bound(obj, [service])
    containers = bound.engine.containers
    if source:
        record = _container(bound, service, index or 1)
        containers.copy_from(record.id, src_path, dest_path, follow=follow_link,
                             archive=archive, out=sys.stdout.buffer)
        sys.stdout.flush()
        return
    chosen = bound.containers([service]) if every else [_container(bound, service, index or 1)]
    data = sys.stdin.buffer.read() if src_path == "-" else None
    for record in chosen:
        stdin = io.BytesIO(data) if data is not None else sys.stdin.buffer
        containers.copy_to(src_path, record.id, dest_path, follow=follow_link,
                           archive=archive, stdin=stdin)


VERBS = [ls, version, create, scale, wait, stats, volumes, cp]
