"""Container verbs: run, create, start, ps, rm, inspect (stop, kill, wait,
restart and logs are in cli/lifecycle.py)."""

from __future__ import annotations

import os
from typing import Any

import click

from hullbox.cli.docker_bools import DockerBoolCommand
from hullbox.cli.format import ago, human_duration, print_formatted, print_table
from hullbox.cli.run_image import ensure_image
from hullbox.cli.runflags import build_options, container_options
from hullbox.cli.targets import each, inspect_each
from hullbox.errors import HullboxError, InvalidArgument

_RUN_SETTINGS = {"allow_interspersed_args": False, "help_option_names": ["--help"]}


def _check_tty(interactive: bool, tty: bool) -> None:
    if tty and interactive and not os.isatty(0):
        raise InvalidArgument("the input device is not a TTY; drop -t or run from a terminal")


@click.command(cls=DockerBoolCommand, context_settings=_RUN_SETTINGS)
@container_options
@click.option("-d", "--detach", is_flag=True,
              help="Run in the background under a monitor; print the container ID.")
@click.argument("image")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def run(obj: Any, /, image: str, command: tuple[str, ...], detach: bool, **params: Any) -> int:
    """Create a container from IMAGE and run COMMAND in it."""
    from hullbox.cli.runflags.behaviour import check, cidfile, replace_named
    from hullbox.cli.runflags.podman import check as check_podman

    check(params, detach=detach)
    check_podman(params, foreground=not detach)
    options = build_options(params)
    if not detach:
        if options.lifecycle.restart:
            raise InvalidArgument("--restart needs a detached container: add -d")
        _check_tty(params["interactive"], params["tty"])
    ensure_image(obj, image, params)
    replace_named(obj, params)
    with cidfile(params) as write_id:
        if detach:
            record = obj.engine.containers.run_detached(image, list(command), options)
            write_id(record.id)
            click.echo(record.id)
            return 0
        record = obj.engine.containers.create(image, list(command), options)
        write_id(record.id)
    from hullbox.cli.foreground import run_attached

    return run_attached(obj, record.id, options, params)


@click.command(cls=DockerBoolCommand, context_settings=_RUN_SETTINGS)
@container_options
@click.argument("image")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def create(obj: Any, /, image: str, command: tuple[str, ...], **params: Any) -> None:
    """Create a container without starting it; prints its ID."""
    from hullbox.cli.runflags.behaviour import check, cidfile, replace_named
    from hullbox.cli.runflags.podman import check as check_podman

    check(params)
    check_podman(params, foreground=False)
    options = build_options(params)
    ensure_image(obj, image, params)
    replace_named(obj, params)
    with cidfile(params) as write_id:
        record = obj.engine.containers.create(image, list(command), options)
        write_id(record.id)
    click.echo(record.id)


@click.command()
@click.option("-a", "--attach", is_flag=True, help="Attach stdout/stderr and wait.")
@click.option("-i", "--interactive", is_flag=True, help="Attach stdin.")
@click.option("--detach-keys", default=None, metavar="KEYS",
              help="Keys that detach from a -t container started with -ai and leave it "
              "running (default ctrl-p,ctrl-q; \"\" for none).")
@click.option("--checkpoint", default=None, metavar="CHECKPOINT",
              help="Restore from this checkpoint (needs CRIU).")
@click.option("--checkpoint-dir", default=None, metavar="DIR",
              help="Use a custom checkpoint storage directory.")
@click.argument("containers", nargs=-1, required=True)
@click.pass_obj
def start(obj: Any, attach: bool, interactive: bool, detach_keys: str | None,
          checkpoint: str | None, checkpoint_dir: str | None,
          containers: tuple[str, ...]) -> int:
    """Start created or stopped containers (in the background unless -a)."""
    if checkpoint is not None or checkpoint_dir is not None:
        from hullbox.engine.checkpoint import refuse

        refuse("start --checkpoint" if checkpoint is not None else "start --checkpoint-dir")
    if not attach:
        return 1 if each(containers, obj.engine.containers.start, echo=True) else 0
    if len(containers) > 1:
        raise InvalidArgument("you cannot start and attach multiple containers at once")
    from hullbox.cli.foreground import detach_keys_for, run_kept
    from hullbox.cli.reattach import reattachable

    record = obj.engine.containers.get(containers[0])
    stdin = 0 if interactive or record.config.get("interactive") else None
    keys = detach_keys_for(bool(record.config.get("tty")), stdin, detach_keys)

    def action() -> int:
        return int(obj.engine.containers.start_attached(containers[0], stdin=stdin))

    if keys is None:
        return action()
    return run_kept(action, keys=keys, sig_proxy=True,
                    reattach=reattachable(obj.engine, record))


def _status(record: Any) -> str:
    import time

    if record.state == "running":
        from hullbox.engine.runstatus import running_note

        return f"Up {human_duration(time.time() - record.started)}{running_note(record)}"
    if record.state == "exited":
        return f"Exited ({record.exit_code}) {ago(record.finished)}"
    if record.state == "restarting":
        return f"Restarting ({record.exit_code}) {ago(record.finished)}"
    return "Created"


def _state(record: Any) -> str:
    from hullbox.engine.runstatus import status

    return status(record)


def _command_column(command: list[str], no_trunc: bool) -> str:
    text = " ".join(command)
    if not no_trunc and len(text) > 20:
        text = text[:19] + "…"
    return f'"{text}"'


def _ports(obj: Any, record: Any) -> str:
    if record.state != "running":
        return ""
    from hullbox.cli.network import ports_column

    return ports_column(obj.engine.store, record.id)


_PS_HEADERS = {"ID": "CONTAINER ID", "RunningFor": "CREATED", "CreatedAt": "CREATED AT"}


def _ps_row(obj: Any, record: Any, no_trunc: bool) -> dict[str, Any]:
    from hullbox.cli.ps_row import docker_row_fields

    return {
        "ID": record.id,
        "Image": record.image_name,
        "RunningFor": ago(record.created),
        "Status": _status(record),
        "State": _state(record),
        "Names": record.name,
        "Ports": _ports(obj, record),
        **docker_row_fields(obj.engine, record, no_trunc),
    }


@click.command(name="ps")
@click.option("-a", "--all", "show_all", is_flag=True, help="Show all containers.")
@click.option("-q", "--quiet", is_flag=True, help="Only IDs.")
@click.option("--no-trunc", is_flag=True, help="Do not truncate output.")
@click.option("--format", "fmt", help="Go template, or json / table.")
@click.option("-f", "--filter", "filters", multiple=True, metavar="KEY=VALUE",
              help="status=, name=, id=, label=, ancestor= (repeat a key to OR).")
@click.option("-n", "--last", type=int, default=-1, show_default=True,
              help="Show the n last created containers (all states).")
@click.option("-l", "--latest", is_flag=True, help="Show the latest created container.")
@click.option("-s", "--size", is_flag=True, help="Show the size of each container's files.")
@click.pass_obj
def ps(obj: Any, show_all: bool, quiet: bool, no_trunc: bool, fmt: str | None,
       filters: tuple[str, ...], last: int, latest: bool, size: bool) -> None:
    """List containers."""
    from hullbox.cli.ps_extra import last_created, size_cells
    from hullbox.engine.filters import parse_filters

    records = last_created(obj.engine.containers.list(
        all=show_all or latest or last != -1, filters=parse_filters(filters)),
        1 if latest else last)
    sizes = size_cells(obj.engine.store, records, size, fmt)
    if quiet:
        for record in records:
            click.echo(record.id if no_trunc else record.short_id)
        return
    # IDs are short unless --no-trunc, in every format, as docker ps prints them
    rows = [_ps_row(obj, record, no_trunc) | ({} if no_trunc else {"ID": record.short_id})
            | sizes.get(record.id, {}) for record in records] if fmt else []
    if print_formatted(rows, fmt, _PS_HEADERS):
        return
    table = [
        [
            record.id if no_trunc else record.short_id,
            record.image_name,
            _command_column(record.command, no_trunc),
            ago(record.created),
            _status(record),
            _ports(obj, record),
            record.name,
            *sizes.get(record.id, {}).values(),
        ]
        for record in records
    ]
    print_table(["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES",
                 *(["SIZE"] if size else [])], table)


@click.command()
@click.option("-f", "--force", is_flag=True, help="Kill and remove running containers.")
@click.option("-v", "--volumes", is_flag=True, help="Remove the anonymous volumes too.")
@click.option("-l", "--link", is_flag=True, help="Remove a legacy link (refused: hullbox "
              "makes none).")
@click.argument("containers", nargs=-1, required=True)
@click.pass_obj
def rm(obj: Any, force: bool, volumes: bool, link: bool, containers: tuple[str, ...]) -> int:
    """Remove containers; a failure on one does not stop the others."""
    from hullbox.cli.lifecycle import _each

    if link:
        raise InvalidArgument("rm --link: hullbox keeps no legacy links between containers, "
                              "so there is none to remove; leave out --link to remove "
                              "containers")

    return _each(containers,
                 lambda n: obj.engine.containers.remove(n, force=force, volumes=volumes),
                 lambda name, _r: name)


@click.command()
@click.option("-f", "--format", "fmt", help="Go template.")
@click.option("--type", "kind", type=click.Choice(["container", "image"]), default=None)
@click.option("-s", "--size", is_flag=True, help="Add SizeRw and SizeRootFs of containers.")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def inspect(obj: Any, fmt: str | None, kind: str | None, size: bool,
            names: tuple[str, ...]) -> int:
    """Low-level information on containers or images, as JSON."""
    from hullbox.errors import NotFound

    def one(name: str) -> Any:
        if kind == "image":
            return obj.engine.images.inspect(name)
        try:
            found = obj.engine.containers.inspect(name)
            if size:
                from hullbox.cli.ps_extra import with_size

                found = with_size(obj.engine, name, found)
            return found
        except NotFound:
            if kind == "container":
                raise
            try:
                return obj.engine.images.inspect(name)
            except HullboxError:
                raise NotFound(f"no such object: {name}") from None

    return inspect_each(names, one, fmt)


@click.command(name="inspect")
@click.option("-f", "--format", "fmt", help="Go template.")
@click.option("-s", "--size", is_flag=True, help="Add SizeRw and SizeRootFs.")
@click.argument("names", nargs=-1, required=True)
@click.pass_context
def container_inspect(ctx: click.Context, fmt: str | None, size: bool,
                      names: tuple[str, ...]) -> int:
    """Low-level information on containers, as JSON."""
    return int(ctx.invoke(inspect, fmt=fmt, kind="container", size=size, names=names))


def register(cli: click.Group) -> None:
    """Add the container verbs at top level and under ``hullbox container``."""
    group = click.Group("container", help="Manage containers.")
    for command in (run, create, start, rm):
        cli.add_command(command)
        group.add_command(command)
    cli.add_command(ps)
    group.add_command(ps, "ls")
    group.add_command(ps, "list")
    group.add_command(ps, "ps")
    cli.add_command(inspect)
    group.add_command(container_inspect, "inspect")
    from hullbox.cli import lifecycle

    lifecycle.register(cli, group)
    cli.add_command(group)
