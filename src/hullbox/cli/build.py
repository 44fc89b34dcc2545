"""``build`` and ``builder prune``."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from hullbox.cli.docker_bools import DockerBoolCommand
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


def _request(path: str, params: dict[str, Any], engine: Any) -> BuildRequest:
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
    step = _step_settings(params, engine)
    return BuildRequest(
        step=step, cache_from=_cache_from(params["cache_from"]), squash=params["squash"],
        output=output, stdout=stdout,
        context=Path(path), tags=list(params["tags"]), target=params["target"],
        no_cache=params["no_cache"], pull=params["pull"], secrets=list(params["secrets"]),
        ssh=list(params["ssh"]),
        build_args=_pairs(params["build_args"], "--build-arg", from_env=True),
        labels=_pairs(params["labels"], "--label", from_env=False), network=params["network"])


def _step_settings(params: dict[str, Any], engine: Any) -> Any:
    from hullbox.engine.build_step_settings import parse_step_settings

    isolation = params["isolation"]
    if isolation not in (None, "", "default"):
        raise InvalidArgument(
            f"--isolation {isolation}: RUN steps run in containers here; use default "
            "(vm isolation is for run/create, process and hyperv are Windows')")

    def gateway() -> str:  # --add-host NAME:host-gateway, as docker0's address
        return str(engine.networks.get("bridge").gateway)

    return parse_step_settings(params, gateway)


def _cache_from(values: tuple[str, ...]) -> list[str]:
    """Image names, from ``--cache-from IMG[,IMG]`` or BuildKit's
    ``type=registry,ref=IMG``."""
    names: list[str] = []
    for value in values:
        if "=" not in value:
            names += [v for v in value.split(",") if v]
            continue
        fields = dict(item.partition("=")[::2] for item in value.split(","))
        if fields.get("type", "registry") != "registry" or not fields.get("ref"):
            raise InvalidArgument(f"--cache-from {value}: only images are cache sources here "
                                  "(IMAGE or type=registry,ref=IMAGE)")
        names.append(fields["ref"])
    return names


_IGNORED = " (hullbox never keeps intermediate containers, as BuildKit ignores it)"


@click.command(cls=DockerBoolCommand)
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
@click.option("--add-host", multiple=True, metavar="NAME:IP",
              help="A line of the RUN steps' /etc/hosts (IP may be host-gateway).")
@click.option("--cache-from", multiple=True, metavar="IMAGE",
              help="An image built by hullbox (local, else pulled) whose layers serve as "
                   "cache, as BuildKit's inline cache; type=registry,ref=IMAGE too.")
@click.option("--cgroup-parent", default="", help="Parent cgroup of the RUN containers.")
@click.option("-c", "--cpu-shares", type=int, default=0, help="RUN containers' CPU shares.")
@click.option("--cpu-period", type=int, default=0, help="RUN containers' CFS period (µs).")
@click.option("--cpu-quota", type=int, default=0, help="RUN containers' CFS quota (µs).")
@click.option("--cpuset-cpus", default="", help="CPUs the RUN containers may use (0-3, 0,1).")
@click.option("--cpuset-mems", default="", help="Memory nodes the RUN containers may use.")
@click.option("-m", "--memory", default="", help="RUN containers' memory limit (e.g. 64m).")
@click.option("--memory-swap", default="",
              help="RUN containers' memory plus swap (-1: unlimited).")
@click.option("--shm-size", default="", help="Size of the RUN containers' /dev/shm.")
@click.option("--ulimit", multiple=True, metavar="NAME=SOFT[:HARD]",
              help="RUN containers' resource limit.")
@click.option("--security-opt", multiple=True,
              help="RUN containers' seccomp=..., no-new-privileges...")
@click.option("--squash/--no-squash", default=False,
              help="Make the build's new layers one layer over the base image's.")
@click.option("--isolation", default=None, help="default only: RUN steps are containers.")
@click.option("--rm/--no-rm", "remove", default=True,
              help="Remove intermediate containers" + _IGNORED + ".")
@click.option("--force-rm/--no-force-rm", default=False,
              help="Always remove intermediate containers" + _IGNORED + ".")
@click.option("--compress/--no-compress", default=False,
              help="Accepted: the context is read in place, never sent, so nothing to "
                   "compress.")
@click.option("--disable-content-trust/--no-disable-content-trust", default=True,
              help="Accepted as docker's default; hullbox verifies no signatures.")
@click.argument("path")
@click.pass_obj
def build(obj: Any, /, file: str | None, quiet: bool, progress: str, path: str,
          **params: Any) -> None:
    """Build an image from a Dockerfile."""
    from hullbox.cli import build_progress
    from hullbox.cli.build_progress import LiveView, choose, plain

    request = _request(path, params, obj.engine)
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
