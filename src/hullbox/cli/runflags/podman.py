"""podman's ``run``/``create`` extras that its users expect: --pidfile,
--preserve-fds and --authfile (cli/authfile.py: also on pull, push, login
and logout)."""

from __future__ import annotations

import os
from typing import Any

import click

from hullbox.cli.authfile import authfile_option
from hullbox.errors import InvalidArgument

FLAGS = [
    click.option("--pidfile", default=None, metavar="PATH",
                 help="Write the host pid of the container's process to PATH at every "
                 "start (podman's)."),
    click.option("--preserve-fds", type=click.IntRange(min=0), default=0, metavar="N",
                 help="Pass descriptors 3 to 3+N-1 of this command to the container's "
                 "process (podman's; a foreground run only)."),
    authfile_option(),
]


def check(params: dict[str, Any], *, foreground: bool) -> None:
    """Refuse what cannot work, before anything is made: --preserve-fds
    needs this command to start the container itself, with hullbox's own
    runtime, and every descriptor it names open."""
    count = int(params.get("preserve_fds") or 0)
    if not count:
        return
    if not foreground:
        raise InvalidArgument("--preserve-fds needs a foreground run: a detached or created "
                              "container is started by another process, which has none of "
                              "this command's descriptors; drop -d (or use run, not create)")
    if params.get("runtime", "hullbox") != "hullbox" or params.get("isolation") == "vm":
        raise InvalidArgument("--preserve-fds works with hullbox's own runtime only; drop "
                              "--runtime/--isolation vm or the flag")
    for fd in range(3, 3 + count):
        try:
            os.fstat(fd)
        except OSError:
            raise InvalidArgument(f"--preserve-fds {count}: file descriptor {fd} is not open; "
                                  f"open descriptors 3 to {2 + count} for the command "
                                  f"(e.g. {fd}<FILE in the shell)") from None


def to_options(params: dict[str, Any]) -> dict[str, Any]:
    from hullbox.engine.settings.podman import PodmanSettings, check_pidfile

    pidfile = params.get("pidfile")
    return {"podman": PodmanSettings(pidfile=check_pidfile(pidfile) if pidfile else "",
                                     preserve_fds=int(params.get("preserve_fds") or 0))}
