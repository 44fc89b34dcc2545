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


def register(cli: click.Group) -> None:
    """Add the ``compose`` group."""
    cli.add_command(compose)
