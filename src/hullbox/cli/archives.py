"""``save`` and ``load``: images to and from files."""

from __future__ import annotations

from typing import Any

import click


@click.command()
@click.option("-o", "--output", help="Write to a file (or, for oci-dir, a directory).")
@click.option("--format", "fmt", default="docker-archive", show_default=True,
              type=click.Choice(["docker-archive", "oci-archive", "oci-dir"]),
              help="docker save's tarball, or an OCI layout as a tarball or directory.")
@click.option("--platform", default=None, metavar="OS/ARCH[/VARIANT]",
              help="Each image must be of this platform (one image is one platform here).")
@click.argument("images", nargs=-1, required=True)
@click.pass_obj
def save(obj: Any, output: str | None, fmt: str, platform: str | None,
         images: tuple[str, ...]) -> None:
    """Save images to a tar archive (stdout by default)."""
    obj.engine.archives.save(list(images), output, fmt, platform=platform)


@click.command()
@click.option("-i", "--input", "source", help="Read from a file or OCI layout directory "
              "instead of stdin.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing.")
@click.option("--platform", default=None, metavar="OS/ARCH[/VARIANT]",
              help="Load only the images of this platform (at least one must be there).")
@click.pass_obj
def load(obj: Any, source: str | None, quiet: bool, platform: str | None) -> None:
    """Load images from a docker-archive, OCI archive or OCI layout."""
    from hullbox.oci import reference as refs

    for loaded in obj.engine.archives.load(source, platform=platform):
        if quiet:
            continue
        if loaded.tags:
            for tag in loaded.tags:
                click.echo(f"Loaded image: {refs.parse(tag).familiar}")
        else:
            click.echo(f"Loaded image ID: {loaded.image.id}")


def register(cli: click.Group, group: click.Group) -> None:
    for command in (save, load):
        cli.add_command(command)
        group.add_command(command)
