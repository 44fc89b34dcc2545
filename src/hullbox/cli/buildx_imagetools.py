"""``hullbox buildx imagetools create|inspect``, as buildx prints them."""

from __future__ import annotations

import json
from typing import Any

import click

from hullbox.cli.format import render_template

_INSECURE_HELP = "Allow plain HTTP and unverified TLS to the registry."


@click.group(name="imagetools")
def imagetools() -> None:
    """Commands to work on images in registry."""


@imagetools.command(name="create")
@click.option("-t", "--tag", "tags", multiple=True, help="Set reference for new image.")
@click.option("--append", is_flag=True, help="Append to existing manifest.")
@click.option("--dry-run", is_flag=True, help="Show final image instead of pushing.")
@click.option("--insecure", is_flag=True, help=_INSECURE_HELP)
@click.argument("sources", nargs=-1)
def create(tags: tuple[str, ...], append: bool, dry_run: bool, insecure: bool,
           sources: tuple[str, ...]) -> None:
    """Create a new image based on source images."""
    from hullbox.engine.imagetools import create as compose

    made = compose(list(sources), list(tags), append=append, dry_run=dry_run,
                   insecure=insecure)
    if dry_run:
        click.echo(json.dumps(json.loads(made.document), indent=2))
        return
    for tag, digest in made.digests.items():
        click.echo(f"pushed {tag}@{digest}", err=True)


@imagetools.command(name="inspect")
@click.option("--raw", is_flag=True, help="Show original, unformatted JSON manifest.")
@click.option("--format", "fmt", default=None,
              help="Go template over .Name and .Manifest (e.g. '{{json .Manifest}}').")
@click.option("--insecure", is_flag=True, help=_INSECURE_HELP)
@click.argument("name")
def inspect(raw: bool, fmt: str | None, insecure: bool, name: str) -> None:
    """Show details of an image in the registry."""
    from hullbox.engine.imagetools import inspect as describe
    from hullbox.oci.reference import Reference, parse
    from hullbox.registry.multiarch import platform_text

    found = describe(name, insecure=insecure)
    if raw:
        click.echo(found.raw.decode())
        return
    if fmt:
        manifest: dict[str, Any] = {"mediaType": found.media_type, "digest": found.digest,
                                    "size": len(found.raw), **json.loads(found.raw)}
        click.echo(render_template(fmt, {"Name": found.name, "Manifest": manifest}))
        return
    click.echo(f"Name:      {found.name}\nMediaType: {found.media_type}\n"
               f"Digest:    {found.digest}")
    if not found.entries:
        return
    click.echo("\nManifests:")
    ref = parse(found.name)
    blocks = [f"  Name:        {Reference(ref.domain, ref.path, ref.tag, e.digest)}\n"
              f"  MediaType:   {e.media_type}\n"
              f"  Platform:    {platform_text({'platform': e.platform})}"
              for e in found.entries]
    click.echo("\n\n".join(blocks))
