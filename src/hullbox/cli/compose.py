"""``hullbox compose``: multi-container projects from compose files, with
docker compose's flags. Each verb loads the project, makes one call into
``hullbox.compose`` and prints the result."""

from __future__ import annotations

from typing import Any

import click

_GROUP_SETTINGS = {"help_option_names": ["--help"]}


class ComposeContext:
    """The project flags every compose verb shares."""

    def __init__(self, parent: Any, params: dict[str, Any]) -> None:
        self.parent = parent
        self.params = params

    def options(self) -> Any:
        from hullbox.compose.options import ProjectOptions

        return ProjectOptions(
            files=list(self.params["file"]),
            project_name=self.params["project_name"],
            project_directory=self.params["project_directory"],
            env_files=list(self.params["env_file"]),
            profiles=list(self.params["profile"]),
        )

    def project(self, services: list[str] | None = None, **kwargs: Any) -> Any:
        """The loaded project; its warnings (unset variables) go to stderr."""
        from hullbox.compose.options import load_project

        project = load_project(self.options(), services or None, **kwargs)
        for warning in project.warnings:
            click.echo(f"WARN: {warning}", err=True)
        return project


@click.group("compose", context_settings=_GROUP_SETTINGS)
@click.option("-f", "--file", multiple=True, metavar="FILE",
              help="Compose file (repeat to merge; default compose.yaml; $COMPOSE_FILE).")
@click.option("-p", "--project-name", default=None, help="Project name.")
@click.option("--project-directory", default=None, metavar="DIR",
              help="Directory of the project (default: the first file's).")
@click.option("--env-file", multiple=True, metavar="FILE",
              help="Variables for interpolation (default: .env).")
@click.option("--profile", multiple=True, help="Enable a profile ($COMPOSE_PROFILES).")
@click.option("--ansi", type=click.Choice(["never", "always", "auto"]), default="auto",
              help="Colour the output: auto (on a terminal), always or never.")
@click.pass_context
def compose(ctx: click.Context, /, **params: Any) -> None:
    """Define and run multi-container projects (compose.yaml)."""
    ctx.obj = ComposeContext(ctx.obj, params)


@compose.command("config")
@click.argument("services", nargs=-1)
@click.option("--services", "list_services", is_flag=True, help="Print the service names.")
@click.option("--volumes", "list_volumes", is_flag=True, help="Print the volume names.")
@click.option("--networks", "list_networks", is_flag=True, help="Print the network names.")
@click.option("--profiles", "list_profiles", is_flag=True, help="Print the profile names.")
@click.option("--images", "list_images", is_flag=True, help="Print the image names.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml",
              help="Output format.")
@click.option("-q", "--quiet", is_flag=True, help="Only validate; print nothing.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to a file instead of standard output.")
@click.pass_obj
def config(obj: ComposeContext, services: tuple[str, ...], list_services: bool,
           list_volumes: bool, list_networks: bool, list_profiles: bool,
           list_images: bool, fmt: str, quiet: bool, output: str | None) -> None:
    """Validate the files and print the normalised model."""
    from hullbox.compose.render import to_json, to_yaml

    project = obj.project(list(services))
    model = project.model
    if services:
        keep = project.with_dependencies(list(services))
        model = {**model, "services": {k: v for k, v in model["services"].items() if k in keep}}
    if quiet:
        return
    if list_services:
        text = "\n".join(project.ordered()) + "\n" if project.services else ""
    elif list_volumes:
        text = "".join(f"{name}\n" for name in model.get("volumes") or {})
    elif list_networks:
        text = "".join(f"{name}\n" for name in model.get("networks") or {})
    elif list_profiles:
        every = {**project.services, **project.disabled}
        names = sorted({p for svc in every.values() for p in svc.get("profiles") or []})
        text = "".join(f"{name}\n" for name in names)
    elif list_images:
        from hullbox.compose.naming import service_image

        text = "".join(f"{service_image(project.name, name, svc)}\n"
                       for name, svc in sorted(project.services.items()))
    else:
        text = to_json(model) + "\n" if fmt == "json" else to_yaml(model)
    if output:
        with open(output, "w") as handle:
            handle.write(text)
    else:
        click.echo(text, nl=False)


def _bound(obj: ComposeContext, services: list[str] | None = None) -> Any:
    from hullbox.compose.operations import ComposeProject

    def report(name: str, event: str) -> None:
        kind = "" if name.startswith(("Network ", "Volume ")) else "Container "
        click.echo(f" {kind}{name}  {event}", err=True)

    def progress(line: str) -> None:
        click.echo(line, err=True)

    return ComposeProject(obj.parent.engine, obj.project(services), report, progress)


def _scale(values: tuple[str, ...]) -> dict[str, int]:
    from hullbox.errors import InvalidArgument

    out = {}
    for value in values:
        name, _, number = value.partition("=")
        if not number.isdigit():
            raise InvalidArgument(f"invalid --scale {value!r}: use SERVICE=NUMBER")
        out[name] = int(number)
    return out


@compose.command("down")
@click.option("-v", "--volumes", is_flag=True, help="Remove named and anonymous volumes.")
@click.option("--remove-orphans", is_flag=True, help="Remove containers of gone services.")
@click.option("-t", "--timeout", type=float, default=None, help="Seconds to wait for stop.")
@click.option("--rmi", type=click.Choice(["local", "all"]), default=None,
              help="Remove the services' images too: local (those without an image: name) "
                   "or all.")
@click.pass_obj
def down(obj: ComposeContext, volumes: bool, remove_orphans: bool,
         timeout: float | None, rmi: str | None) -> None:
    """Stop and remove the project's containers."""
    bound = _bound(obj)
    bound.down(remove_orphans=remove_orphans, timeout=timeout, volumes=volumes)
    if rmi:
        bound.remove_images(local_only=rmi == "local")


@compose.command("ps")
@click.argument("services", nargs=-1)
@click.option("-a", "--all", "show_all", is_flag=True, help="Show stopped containers too.")
@click.option("-q", "--quiet", is_flag=True, help="Only IDs.")
@click.option("--services", "list_services", is_flag=True, help="Only service names.")
@click.option("--format", "fmt", default=None, help="table, json, or a Go template.")
@click.pass_obj
def ps(obj: ComposeContext, services: tuple[str, ...], show_all: bool, quiet: bool,
       list_services: bool, fmt: str | None) -> None:
    """List the project's containers."""
    from hullbox.cli.compose_format import print_ps

    bound = _bound(obj)
    records = bound.containers(list(services) or None, running_only=not show_all)
    print_ps(bound.engine, records, quiet=quiet, services=list_services, fmt=fmt)


@compose.command("logs")
@click.argument("services", nargs=-1)
@click.option("-f", "--follow", is_flag=True, help="Follow the output.")
@click.option("-n", "--tail", default="all", help="Lines from the end of each log.")
@click.option("-t", "--timestamps", is_flag=True, help="Show timestamps.")
@click.option("--no-log-prefix", is_flag=True, help="Do not prefix lines with names.")
@click.option("--no-color", is_flag=True, help="Monochrome output.")
@click.pass_obj
def logs(obj: ComposeContext, services: tuple[str, ...], follow: bool, tail: str,
         timestamps: bool, no_log_prefix: bool, no_color: bool) -> None:
    """Show the output of the services' containers."""
    from hullbox.compose.logprefix import Prefixes, use_colour
    from hullbox.compose.logs import project_logs

    bound = _bound(obj)
    records = bound.containers(list(services) or None)
    lines = None if tail == "all" else int(tail)
    prefixes = Prefixes.of(records, colour=use_colour(obj.params["ansi"], no_color),
                           prefix=not no_log_prefix)
    for record, line in project_logs(bound.engine, records, follow=follow, tail=lines,
                                     timestamps=timestamps):
        click.echo(prefixes.line(record, line), nl=False)


def _verb(name: str, doc: str, action: str, timeout: bool = False) -> None:
    def command(obj: ComposeContext, /, services: tuple[str, ...], **kwargs: Any) -> None:
        bound = _bound(obj)
        getattr(bound, action)(list(services) or None, **kwargs)

    command.__doc__ = doc
    decorated: Any = click.pass_obj(command)
    if timeout:
        decorated = click.option("-t", "--timeout", type=float, default=None,
                                 help="Seconds to wait for stop.")(decorated)
    decorated = click.argument("services", nargs=-1)(decorated)
    compose.command(name)(decorated)


_verb("start", "Start existing containers.", "start")
_verb("stop", "Stop running containers.", "stop", timeout=True)


@compose.command("restart")
@click.argument("services", nargs=-1)
@click.option("-t", "--timeout", type=float, default=None, help="Seconds to wait for stop.")
@click.option("--no-deps", is_flag=True,
              help="Do not restart the services that depend on these with restart: true.")
@click.pass_obj
def restart(obj: ComposeContext, services: tuple[str, ...], timeout: float | None,
            no_deps: bool) -> None:
    """Restart containers."""
    _bound(obj).restart(list(services) or None, timeout, no_deps=no_deps)


@compose.command("kill")
@click.argument("services", nargs=-1)
@click.option("-s", "--signal", "sig", default="KILL", help="Signal to send.")
@click.pass_obj
def kill(obj: ComposeContext, services: tuple[str, ...], sig: str) -> None:
    """Send a signal to the services' containers."""
    _bound(obj).kill(list(services) or None, sig)


@compose.command("rm")
@click.argument("services", nargs=-1)
@click.option("-f", "--force", is_flag=True, help="Do not ask (hullbox never asks).")
@click.option("-s", "--stop", is_flag=True, help="Stop running containers first.")
@click.option("-v", "--volumes", is_flag=True, help="Remove anonymous volumes.")
@click.pass_obj
def rm(obj: ComposeContext, services: tuple[str, ...], force: bool, stop: bool,
       volumes: bool) -> None:
    """Remove stopped containers."""
    if _bound(obj).remove(list(services) or None, stop=stop, volumes=volumes) == 0:
        click.echo("No stopped containers", err=True)


@compose.command("run", context_settings={"allow_interspersed_args": False})
@click.argument("service")
@click.argument("command", nargs=-1)
@click.option("--rm", "remove", is_flag=True, help="Remove the container when it exits.")
@click.option("--no-deps", is_flag=True, help="Do not start linked services.")
@click.option("--name", default=None, help="Container name.")
@click.option("-d", "--detach", is_flag=True,
              help="Run in the background and print the container's name.")
@click.pass_obj
def run(obj: ComposeContext, service: str, command: tuple[str, ...], remove: bool,
        no_deps: bool, name: str | None, detach: bool) -> int:
    """Run a one-off command in a new container of SERVICE."""
    from hullbox.compose import oneoff

    bound = _bound(obj, [service])
    if detach:
        record = oneoff.run_detached(bound, service, list(command) or None, remove=remove,
                                     no_deps=no_deps, name=name)
        click.echo(record.name)
        return 0
    return oneoff.run(bound, service, list(command) or None, remove=remove, no_deps=no_deps,
                      name=name)


@compose.command("images")
@click.argument("services", nargs=-1)
@click.option("-q", "--quiet", is_flag=True, help="Only image IDs.")
@click.pass_obj
def images(obj: ComposeContext, services: tuple[str, ...], quiet: bool) -> None:
    """List the images the project's containers use."""
    from hullbox.cli.compose_format import print_images

    bound = _bound(obj)
    print_images(bound.engine, bound.containers(list(services) or None), quiet=quiet)


def register(cli: click.Group) -> None:
    """Add the ``compose`` group."""
    cli.add_command(compose)


def _add_more_verbs() -> None:
    from hullbox.cli import compose_delegate, compose_more
    from hullbox.cli.compose_up import up
    from hullbox.cli.compose_verbs import add_verbs

    compose.add_command(up)
    add_verbs(compose)
    for verb in [*compose_more.VERBS, *compose_delegate.VERBS]:
        compose.add_command(verb)


_add_more_verbs()
