"""Registry verbs: pull, push, login, logout.

Progress: live per-layer bars on a terminal, one plain line per layer
otherwise (see registry_progress).
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import click

from hullbox.cli.authfile import authfile_option

_INSECURE_HELP = "Allow plain HTTP and unverified TLS to this registry."


_TRUST_HELP = ("Accepted as docker's default (true); hullbox verifies no signatures "
               "(no Notary): images are checked by digest only.")


@click.command()
@click.option("-a", "--all-tags", is_flag=True, help="Pull every tagged image of the repository.")
@click.option("--platform", default=None, metavar="OS/ARCH[/VARIANT]",
              help="Platform to pull from a multi-platform image (default linux/amd64).")
@click.option("-q", "--quiet", is_flag=True, help="Print only the image reference.")
@click.option("--insecure", is_flag=True, help=_INSECURE_HELP)
@click.option("--disable-content-trust", is_flag=True, default=True, help=_TRUST_HELP)
@authfile_option()
@click.argument("name")
@click.pass_obj
def pull(obj: Any, all_tags: bool, platform: str | None, quiet: bool, insecure: bool,
         disable_content_trust: bool, name: str) -> None:
    """Download an image from a registry."""
    from hullbox.oci.reference import parse

    if all_tags:
        _pull_all(obj, name, platform, quiet, insecure)
        return
    ref = parse(name)
    if not quiet and ref.tag and not ref.digest and ":" not in name.rsplit("/", 1)[-1]:
        click.echo(f"Using default tag: {ref.tag}")
    result = _pull_one(obj, name, platform, quiet, insecure)
    if quiet:
        click.echo(result.reference)
        return
    familiar = parse(result.reference).familiar
    if result.downloaded:
        click.echo(f"Status: Downloaded newer image for {familiar}")
    else:
        click.echo(f"Status: Image is up to date for {familiar}")
    click.echo(result.reference)


def _pull_one(obj: Any, name: str, platform: str | None, quiet: bool, insecure: bool) -> Any:
    """One tag with its progress and digest lines; returns the PullResult."""
    from hullbox.cli.registry_progress import display
    from hullbox.oci.reference import parse

    ref = parse(name)
    if not quiet:
        # docker names the repository by its path: "Pulling from library/busybox"
        click.echo(f"{ref.tag or ref.digest}: Pulling from {ref.path}")
    shown = display(quiet)
    with shown or contextlib.nullcontext():
        result = obj.engine.distribution.pull(
            name, platform=platform, insecure=insecure, listener=shown)
    if not quiet:
        click.echo(f"Digest: {result.digest}")
    return result


def _pull_all(obj: Any, name: str, platform: str | None, quiet: bool, insecure: bool) -> None:
    """``pull -a``: each tag as docker shows it, then one status line for
    the repository."""
    from hullbox.oci.reference import parse

    tags = obj.engine.distribution.registry_tags(name, insecure=insecure)
    downloaded = sum(_pull_one(obj, tag, platform, quiet, insecure).downloaded
                     for tag in tags)
    repository = parse(tags[0])
    if not quiet:
        state = "Downloaded newer image" if downloaded else "Image is up to date"
        click.echo(f"Status: {state} for {repository.familiar_name}")
    click.echo(repository.name)


@click.command()
@click.option("-a", "--all-tags", is_flag=True, help="Push every local tag of the repository.")
@click.option("--platform", default=None, metavar="OS/ARCH[/VARIANT]",
              help="The image must be of this platform; it is pushed alone, without "
                   "the multi-platform index it was pulled through.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--insecure", is_flag=True, help=_INSECURE_HELP)
@click.option("--disable-content-trust", is_flag=True, default=True,
              help="Accepted as docker's default (true); hullbox signs nothing.")
@authfile_option()
@click.argument("name")
@click.pass_obj
def push(obj: Any, all_tags: bool, platform: str | None, quiet: bool, insecure: bool,
         disable_content_trust: bool, name: str) -> None:
    """Upload an image to a registry."""
    from hullbox.cli.registry_progress import display
    from hullbox.oci.reference import parse

    names = obj.engine.distribution.local_tags(name) if all_tags else [name]
    if platform is not None:  # every image checked before any byte goes out
        from hullbox.engine.image_platform import require_platform

        for each_name in names:
            require_platform(obj.engine.images, each_name, platform)
    if not quiet:
        click.echo(f"The push refers to repository [{parse(names[0]).name}]")
    for each_name in names:
        shown = display(quiet)
        with shown or contextlib.nullcontext():
            result = obj.engine.distribution.push(each_name, insecure=insecure,
                                                  platform=platform, listener=shown)
        if result.note:
            click.echo(f"WARNING: {result.note}", err=True)
        if not quiet:
            click.echo(f"{result.tag}: digest: {result.digest} size: {result.size}")


@click.command()
@click.option("-u", "--username", default="", help="User name.")
@click.option("-p", "--password", default="", help="Password (prefer --password-stdin).")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.option("--insecure", is_flag=True, help=_INSECURE_HELP)
@authfile_option(must_exist=False)
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
@authfile_option()
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
