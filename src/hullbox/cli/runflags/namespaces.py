"""Namespace and identity flags: --ipc, --pid, --uts, --cgroupns, --group-add,
--domainname, --annotation, --init, --shm-size, --link, --ip6, --link-local-ip."""

from __future__ import annotations

from typing import Any

import click

FLAGS = [
    click.option("--ipc", default=None, metavar="MODE",
                 help="IPC namespace: private (default), shareable, none, host or "
                 "container:NAME (its SysV IPC and /dev/shm)."),
    click.option("--pid", default=None, metavar="MODE",
                 help="PID namespace: host or container:NAME."),
    click.option("--uts", default=None, metavar="MODE",
                 help="UTS namespace: host (the host's hostname)."),
    click.option("--cgroupns", default=None, metavar="MODE",
                 help="Cgroup namespace: private (default) or host."),
    click.option("--group-add", multiple=True, metavar="GROUP",
                 help="Add a supplementary group (a name from the image's /etc/group, "
                 "or a number)."),
    click.option("--domainname", default=None, metavar="NAME",
                 help="Container NIS domain name."),
    click.option("--annotation", multiple=True, metavar="KEY=VALUE",
                 help="Add an annotation to the container's OCI config."),
    click.option("--init", is_flag=True, default=False,
                 help="Run an init (docker-init) as PID 1 that forwards signals and "
                 "reaps zombies."),
    click.option("--shm-size", default=None, metavar="BYTES",
                 help="Size of /dev/shm (default 64m)."),
    click.option("--link", multiple=True, metavar="NAME[:ALIAS]",
                 help="Add a link to another container (its name and alias resolve "
                 "through /etc/hosts)."),
    click.option("--ip6", default=None, metavar="ADDRESS",
                 help="IPv6 address on a user-defined IPv6 network."),
    click.option("--link-local-ip", multiple=True, metavar="ADDRESS",
                 help="Add a link-local address (169.254.0.0/16 or fe80::/10)."),
]


def to_options(params: dict[str, Any]) -> dict[str, Any]:
    from hullbox.engine.settings.namespaces import NamespaceSettings

    return {"namespaces": NamespaceSettings.parse(
        ipc=params.get("ipc"),
        pid=params.get("pid"),
        uts=params.get("uts"),
        cgroupns=params.get("cgroupns"),
        group_add=params.get("group_add") or (),
        domainname=params.get("domainname"),
        annotations=params.get("annotation") or (),
        init=bool(params.get("init")),
        shm_size=params.get("shm_size"),
        links=params.get("link") or (),
        ip6=params.get("ip6"),
        link_local_ips=params.get("link_local_ip") or (),
        hostname=params.get("hostname"),
    )}
