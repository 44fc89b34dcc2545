"""``hullbox cp``: copy files between a container and the host."""

from __future__ import annotations

import sys
from typing import Any

import click

from hullbox.errors import InvalidArgument


@click.command()
@click.option("-a", "--archive", is_flag=True, help="Keep uid/gid of the source files.")
@click.option("-L", "--follow-link", is_flag=True, help="Follow a symlink given as SRC.")
@click.option("-q", "--quiet", is_flag=True, help="Print no 'Successfully copied' line "
              "(it is printed only to a terminal anyway).")
@click.argument("src")
@click.argument("dest")
@click.pass_obj
def cp(obj: Any, archive: bool, follow_link: bool, quiet: bool, src: str, dest: str) -> None:
    """Copy files between a container and the host.

    \b
    hullbox cp CONTAINER:SRC DEST    (DEST - writes a tar stream to stdout)
    hullbox cp SRC CONTAINER:DEST    (SRC - reads a tar stream from stdin)
    """
    from hullbox.engine.copy import split_argument

    src_container, src_path = split_argument(src)
    dest_container, dest_path = split_argument(dest)
    if src_container and dest_container:
        raise InvalidArgument("copying between containers is not supported; copy through "
                              "the host")
    if not src_container and not dest_container:
        raise InvalidArgument("must specify at least one container source: "
                              "CONTAINER:PATH as SRC or DEST")
    from hullbox.cli.cp_report import copied_to_host, tar_size

    # docker cp reports to a terminal only, and never around a tar stream
    report = not quiet and sys.stderr.isatty() and "-" not in (src, dest)
    containers = obj.engine.containers
    if src_container:
        landed = copied_to_host(src_path, dest_path)
        containers.copy_from(src_container, src_path, dest_path, follow=follow_link,
                             archive=archive, out=sys.stdout.buffer)
        sys.stdout.flush()
        size = tar_size(landed) if report else 0
    else:
        assert dest_container is not None
        containers.copy_to(src_path, dest_container, dest_path, follow=follow_link,
                           archive=archive, stdin=sys.stdin.buffer)
        size = tar_size(src_path, follow_link) if report else 0
    if report:
        from hullbox.engine.units import human_size

        click.echo(f"Successfully copied {human_size(size)} to {dest}", err=True)


def register(cli: click.Group) -> None:
    """``cp`` at top level and under ``container``."""
    group = cli.commands["container"]
    assert isinstance(group, click.Group)
    cli.add_command(cp)
    group.add_command(cp)
