"""Security flags: --cap-add/--cap-drop, --privileged, --security-opt, --device,
--sysctl, --ulimit, --userns (issue 4)."""

from __future__ import annotations

from typing import Any

import click

FLAGS: list[Any] = [
    click.option("--cap-add", multiple=True, help="Add a Linux capability (or ALL)."),
    click.option("--cap-drop", multiple=True, help="Drop a Linux capability (or ALL)."),
    click.option("--privileged", is_flag=True,
                 help="All capabilities and host devices, no seccomp, no masked paths."),
    click.option("--security-opt", multiple=True,
                 help="seccomp=unconfined|PROFILE.json, no-new-privileges[=true], "
                      "systempaths=unconfined."),
    click.option("--device", multiple=True,
                 help="Add a host device: HOST[:CONTAINER][:rwm]."),
    click.option("--sysctl", multiple=True, help="Set a namespaced kernel parameter."),
    click.option("--ulimit", multiple=True, help="Resource limit: NAME=SOFT[:HARD]."),
    click.option("--userns", help="User namespace: host (the default), auto[:size=N] "
                                  "(a host id range of its own)."),
    click.option("--uidmap", multiple=True,
                 help="Map container uids to host uids: CONTAINER_ID:HOST_ID:SIZE."),
    click.option("--gidmap", multiple=True,
                 help="Map container gids to host gids (default: as --uidmap)."),
]


def to_options(params: dict[str, Any]) -> dict[str, Any]:
    from hullbox.engine.settings.security import SecuritySettings

    return {"security": SecuritySettings.parse(
        cap_add=tuple(params.get("cap_add") or ()),
        cap_drop=tuple(params.get("cap_drop") or ()),
        privileged=bool(params.get("privileged")),
        security_opt=tuple(params.get("security_opt") or ()),
        devices=tuple(params.get("device") or ()),
        sysctls=tuple(params.get("sysctl") or ()),
        ulimits=tuple(params.get("ulimit") or ()),
        userns=params.get("userns") or "",
        uidmap=tuple(params.get("uidmap") or ()),
        gidmap=tuple(params.get("gidmap") or ()),
        host_network=params.get("network") == "host",
    )}
