"""``build`` and ``builder prune``."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hullbox.errors import BuildFailed, InvalidArgument
from hullbox.store.atomic import write_atomic

if TYPE_CHECKING:
    from hullbox.engine.build import BuildRequest


def _pairs(values: tuple[str, ...], flag: str, *, from_env: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not key:
            raise InvalidArgument(f"invalid {flag} {item!r}: use NAME=value")
        if not sep:
            if not from_env:
                value = ""
            elif key in os.environ:
                value = os.environ[key]  # docker: `--build-arg NAME` passes the caller's
            else:
                continue
        out[key] = value
    return out


def _request(path: str, params: dict[str, Any]) -> BuildRequest:
    from hullbox.engine.build import BuildRequest
    from hullbox.engine.build_export import parse_output

    platform = params["platform"]
    if platform not in (None, "", "linux/amd64", "linux/x86_64"):
        raise InvalidArgument(f"--platform {platform}: this host builds linux/amd64 only; "
                              "build on such a host or leave --platform out")
    output = parse_output(params["output"]) if params["output"] else None
    iidfile = params["iidfile"]
    if output is not None and iidfile:
        raise InvalidArgument("--iidfile: -o writes a filesystem, not an image; use one "
                              "or the other")
    if iidfile and not Path(iidfile).parent.is_dir():
        raise InvalidArgument(f"--iidfile {iidfile}: its directory does not exist")
    stdout = None
    if output is not None and output.dest == "-":
        if sys.stdout.isatty():
            raise InvalidArgument("-o -: refusing to write a tar to the terminal; "
                                  "redirect stdout or give dest=FILE")
        stdout = sys.stdout.buffer
    return BuildRequest(
        output=output, stdout=stdout,
        context=Path(path), tags=list(params["tags"]), target=params["target"],
        no_cache=params["no_cache"], pull=params["pull"], secrets=list(params["secrets"]),
        ssh=list(params["ssh"]),
        build_args=_pairs(params["build_args"], "--build-arg", from_env=True),
        labels=_pairs(params["labels"], "--label", from_env=False), network=params["network"])


@click.command()
@click.option("-f", "--file", "file", default=None, metavar="PATH",
              help="Dockerfile (default PATH/Dockerfile; - for stdin).")
@click.option("-t", "--tag", "tags", multiple=True, help="Name the image (name:tag).")
@click.option("--build-arg", "build_args", multiple=True, metavar="NAME=VALUE",
              help="Set a build-time variable.")
@click.option("--secret", "secrets", multiple=True, metavar="id=NAME,src=FILE",
              help="A secret RUN --mount=type=secret may read (src=FILE or env=VAR).")
@click.option("--ssh", "ssh", multiple=True, metavar="default|ID=SOCKET",
              help="An ssh-agent socket RUN --mount=type=ssh may use.")
@click.option("-o", "--output", default=None, metavar="type=local|tar,dest=PATH",
              help="Write the result's filesystem to PATH instead of making an image.")
@click.option("--iidfile", default=None, metavar="FILE", help="Write the image ID to FILE.")
@click.option("--target", default=None, help="The stage to build.")
@click.option("--label", "labels", multiple=True, metavar="KEY=VALUE",
              help="Set a label on the image.")
@click.option("--no-cache", is_flag=True, help="Do not use the cache.")
@click.option("--pull", is_flag=True,
              help="Always pull the images FROM names (else only when missing).")
@click.option("-q", "--quiet", is_flag=True, help="Print only the image ID.")
@click.option("--progress", type=click.Choice(["auto", "plain", "tty", "quiet"]),
              default="auto", help="plain: BuildKit's lines; tty: a live view "
                                   "(auto: tty on a terminal).")
@click.option("--network", default="none", help="RUN network: none (default) or host.")
@click.option("--platform", default=None, help="Only linux/amd64 (this host).")
@click.argument("path")
@click.pass_obj
def build(obj: Any, /, file: str | None, quiet: bool, progress: str, path: str,
          **params: Any) -> None:
    """Build an image from a Dockerfile."""
    from hullbox.cli import build_progress
    from hullbox.cli.build_progress import LiveView, choose, plain

    request = _request(path, params)
    with tempfile.TemporaryDirectory(prefix="hullbox-build-") as empty:
        if path == "-":  # the Dockerfile on stdin, no context (docker build -)
            request.context = Path(empty)
            request.dockerfile_text = sys.stdin.read()
        elif file == "-":
            request.dockerfile_text = sys.stdin.read()
        elif file is not None:
            request.dockerfile = Path(file)
        mode = choose(progress, quiet)
        try:
            if mode == "tty":
                with LiveView() as view:
                    result = obj.engine.builds.build(request, events=view)
            else:
                result = obj.engine.builds.build(
                    request, events=plain if mode == "plain" else build_progress.quiet)
        except BuildFailed as exc:
            if mode == "quiet":
                for line in exc.output_tail:
                    click.echo(line, err=True)
            raise
    for warning in result.warnings:
        click.echo(f"[Warning] {warning}", err=True)
    if result.image is None:
        return
    if params["iidfile"]:
        write_atomic(Path(params["iidfile"]), result.image.id.encode(), 0o644)
    if quiet:
        click.echo(result.image.id)


@click.command(name="prune")
@click.option("-f", "--force", is_flag=True, help="Do not ask (never asks).")
@click.option("-a", "--all", "all_", is_flag=True, help="Everything (the same here).")
@click.pass_obj
def builder_prune(obj: Any, force: bool, all_: bool) -> None:
    """Remove the build cache."""
    count = obj.engine.builds.prune_cache()
    click.echo(f"Deleted build cache entries: {count}")


def register(cli: click.Group) -> None:
    """``build``, ``image build``, ``builder prune``."""
    cli.add_command(build)
    image = cli.commands.get("image")
    if isinstance(image, click.Group):
        image.add_command(build)
    builder = click.Group("builder", help="Manage the build cache.")
    builder.add_command(builder_prune)
    cli.add_command(builder)
