"""Registry verbs: pull, push, login, logout.

Progress: live per-layer bars on a terminal, one plain line per layer
otherwise (see registry_progress).
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import click

_INSECURE_HELP = "Allow plain HTTP and unverified TLS to this registry."


@click.command()
@click.option("--platform", default=None, metavar="OS/ARCH[/VARIANT]",
              help="Platform to pull from a multi-platform image (default linux/amd64).")
@click.option("-q", "--quiet", is_flag=True, help="Print only the image reference.")
@click.option("--insecure", is_flag=True, help=_INSECURE_HELP)
@click.argument("name")
@click.pass_obj
def pull(obj: Any, platform: str | None, quiet: bool, insecure: bool, name: str) -> None:
    """Download an image from a registry."""
    from hullbox.cli.registry_progress import display
    from hullbox.oci.reference import parse

    ref = parse(name)
    if not quiet:
        if ref.tag and not ref.digest and ":" not in name.rsplit("/", 1)[-1]:
            click.echo(f"Using default tag: {ref.tag}")
        # docker names the repository by its path: "Pulling from library/busybox"
        click.echo(f"{ref.tag or ref.digest}: Pulling from {ref.path}")

    shown = display(quiet)
    with shown or contextlib.nullcontext():
        result = obj.engine.distribution.pull(
            name, platform=platform, insecure=insecure, listener=shown)
    if quiet:
        click.echo(result.reference)
        return
    click.echo(f"Digest: {result.digest}")
    familiar = parse(result.reference).familiar
    if result.downloaded:
        click.echo(f"Status: Downloaded newer image for {familiar}")
    else:
        click.echo(f"Status: Image is up to date for {familiar}")
    click.echo(result.reference)


@click.command()
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--insecure", is_flag=True, help=_INSECURE_HELP)
@click.argument("name")
@click.pass_obj
def push(obj: Any, quiet: bool, insecure: bool, name: str) -> None:
    """Upload an image to a registry."""
    from hullbox.cli.registry_progress import display
    from hullbox.oci.reference import parse

    ref = parse(name)
    if not quiet:
        click.echo(f"The push refers to repository [{ref.name}]")

    shown = display(quiet)
    with shown or contextlib.nullcontext():
        result = obj.engine.distribution.push(name, insecure=insecure, listener=shown)
    if result.note:
        click.echo(f"WARNING: {result.note}", err=True)
    if not quiet:
        click.echo(f"{result.tag}: digest: {result.digest} size: {result.size}")


@click.command()
@click.option("-u", "--username", default="", help="User name.")
@click.option("-p", "--password", default="", help="Password (prefer --password-stdin).")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.option("--insecure", is_flag=True, help=_INSECURE_HELP)
@click.argument("server", required=False)
@click.pass_obj
def login(obj: Any, username: str, password: str, password_stdin: bool, insecure: bool,
          server: str | None) -> None:
    """Log in to a registry; credentials go to ~/.docker/config.json."""
    if password_stdin:
        if password:
            raise click.UsageError("--password and --password-stdin are mutually exclusive")
        password = sys.stdin.read().rstrip("\r\n")
    elif password:
        click.echo("WARNING! Using --password via the CLI is insecure. "
                   "Use --password-stdin.", err=True)
    elif sys.stdin.isatty():
        username = username or click.prompt("Username")
        password = click.prompt("Password", hide_input=True)
    obj.engine.distribution.login(server, username, password, insecure=insecure)
    click.echo("Login Succeeded")


@click.command()
@click.argument("server", required=False)
@click.pass_obj
def logout(obj: Any, server: str | None) -> None:
    """Forget the credentials saved for a registry."""
    shown = server or "https://index.docker.io/v1/"
    if obj.engine.distribution.logout(server):
        click.echo(f"Removing login credentials for {shown}")
    else:
        click.echo(f"Not logged in to {shown}")


def register(cli: click.Group) -> None:
    """Add pull, push, login and logout at top level (and under ``image``)."""
    for command in (pull, push, login, logout):
        cli.add_command(command)
    group = cli.commands.get("image")
    if isinstance(group, click.Group):
        group.add_command(pull)
        group.add_command(push)
