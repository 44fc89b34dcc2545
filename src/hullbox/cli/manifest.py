"""``hullbox manifest``: create, annotate, inspect, push and rm manifest lists,
with docker's flags and output (tab-indented JSON, the list's digest)."""

from __future__ import annotations

import json
from typing import Any

import click

from hullbox.errors import HullboxError

_INSECURE_HELP = "Allow plain HTTP and unverified TLS to this registry."


def _indented(data: Any, indent: str = "\t") -> str:
    # docker 28 prints an image manifest and -v's objects tab-indented, a
    # manifest list or index with three spaces.
    return json.dumps(data, indent=indent, ensure_ascii=False)


@click.group(name="manifest")
def manifest() -> None:
    """Manage image manifests and manifest lists."""


@manifest.command(name="create")
@click.option("-a", "--amend", is_flag=True, help="Amend an existing manifest list.")
@click.option("--insecure", is_flag=True, help=_INSECURE_HELP)
@click.argument("manifest_list")
@click.argument("manifests", nargs=-1, required=True)
@click.pass_obj
def create(obj: Any, amend: bool, insecure: bool, manifest_list: str,
           manifests: tuple[str, ...]) -> None:
    """Create a local manifest list for annotating and pushing to a registry."""
    name = obj.engine.manifests.create(manifest_list, list(manifests), amend=amend,
                                       insecure=insecure)
    click.echo(f"Created manifest list {name}")


@manifest.command(name="inspect")
@click.option("--insecure", is_flag=True, help=_INSECURE_HELP)
@click.option("-v", "--verbose", is_flag=True,
              help="Output additional info including layers and platform.")
@click.argument("names", nargs=-1, required=True, metavar="[MANIFEST_LIST] MANIFEST")
@click.pass_obj
def inspect(obj: Any, insecure: bool, verbose: bool, names: tuple[str, ...]) -> None:
    """Display an image manifest, or manifest list."""
    from hullbox.engine.manifests import verbose as verbose_object

    if len(names) > 2:
        raise click.UsageError("manifest inspect takes [MANIFEST_LIST] MANIFEST")
    found = obj.engine.manifests.inspect(names[0], names[1] if len(names) == 2 else None,
                                         insecure=insecure)
    if not verbose:
        click.echo(_indented(json.loads(found.raw), "   " if found.is_list else "\t"))
    elif found.is_list:
        click.echo(_indented([verbose_object(e) for e in found.entries]))
    else:
        click.echo(_indented(verbose_object(found.entries[0])))


@manifest.command(name="annotate")
@click.option("--arch", default=None, help="Set architecture.")
@click.option("--os", "os_", default=None, help="Set operating system.")
@click.option("--os-features", multiple=True, metavar="STRINGS",
              help="Set operating system feature (comma-separated, repeatable).")
@click.option("--os-version", default=None, help="Set operating system version.")
@click.option("--variant", default=None, help="Set architecture variant.")
@click.argument("manifest_list")
@click.argument("image")
@click.pass_obj
def annotate(obj: Any, arch: str | None, os_: str | None, os_features: tuple[str, ...],
             os_version: str | None, variant: str | None, manifest_list: str,
             image: str) -> None:
    """Add additional information to a local image manifest."""
    from hullbox.engine.manifests import Annotation

    features = tuple(f for value in os_features for f in value.split(",") if f)
    obj.engine.manifests.annotate(manifest_list, image, Annotation(
        os=os_, arch=arch, variant=variant, os_version=os_version, os_features=features))


@manifest.command(name="push")
@click.option("--insecure", is_flag=True, help=_INSECURE_HELP)
@click.option("-p", "--purge", is_flag=True, help="Remove the local manifest list after push.")
@click.argument("manifest_list")
@click.pass_obj
def push(obj: Any, insecure: bool, purge: bool, manifest_list: str) -> None:
    """Push a manifest list to a repository."""
    click.echo(obj.engine.manifests.push(manifest_list, purge=purge, insecure=insecure))


@manifest.command(name="rm")
@click.argument("manifest_lists", nargs=-1, required=True)
@click.pass_obj
def rm(obj: Any, manifest_lists: tuple[str, ...]) -> None:
    """Delete one or more manifest lists from local storage."""
    failed: HullboxError | None = None
    for name in manifest_lists:
        try:
            obj.engine.manifests.remove(name)
        except HullboxError as exc:
            if failed is not None:
                click.echo(f"hullbox: {failed}", err=True)
            failed = exc
    if failed is not None:
        raise failed  # the last one, as main prints every error: one line each


def register(cli: click.Group) -> None:
    """``manifest`` and its subcommands."""
    cli.add_command(manifest)
