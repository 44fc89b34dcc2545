"""Isolation flag: --isolation process|vm (issue 9)."""

from __future__ import annotations

from typing import Any

import click

FLAGS: list[Any] = [
    click.option("--isolation", default=None, metavar="KIND",
                 help="process (namespaces, the default) or vm (the image in a microVM "
                 "with its own kernel; --memory and --cpus size the guest). In a vm, "
                 "-v and named volumes are live 9p shares (at most 8); a file on another "
                 "file system than the store is a copy, written back when the vm exits, "
                 "and so is every volume (directories only, at most 4) with a guest kernel "
                 "that has no 9p modules (scripts/build-guest-9p.sh). --tmpfs is a tmpfs "
                 "in the guest."),
]


def to_options(params: dict[str, Any]) -> dict[str, Any]:
    """The isolation kind; it is sized from --memory/--cpus once those are parsed
    (ContainerOptions.parse)."""
    return {"isolation_kind": params.get("isolation")}
