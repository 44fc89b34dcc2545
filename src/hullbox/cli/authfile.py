"""``--authfile PATH`` (podman's), for every command that talks to a
registry: it takes effect as it is parsed, so every registry request of the
command reads (and ``login`` writes) its credentials in that file, in
docker's config.json format, instead of ~/.docker/config.json."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

import click

from hullbox.errors import InvalidArgument


def _use_authfile(must_exist: bool) -> Callable[[click.Context, click.Parameter, Any], None]:
    def use(_ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if not value:
            return
        if must_exist and not os.path.isfile(value):
            raise InvalidArgument(f"--authfile {value}: no such file; write credentials into "
                                  f"it with: hullbox login --authfile {value} REGISTRY")
        from hullbox.registry import credentials

        credentials.use_auth_file(os.path.abspath(value))
    return use


Command = TypeVar("Command", bound=Callable[..., Any])


def authfile_option(*, must_exist: bool = True) -> Callable[[Command], Command]:
    """--authfile PATH for a command that talks to a registry."""
    return click.option(
        "--authfile", metavar="PATH", expose_value=False, is_eager=True,
        callback=_use_authfile(must_exist),
        help="Registry credentials file, in docker's config.json format "
        "(podman's; default ~/.docker/config.json, or $REGISTRY_AUTH_FILE).")
