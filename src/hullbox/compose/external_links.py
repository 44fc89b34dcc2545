"""``external_links: [container:alias]``: a container outside the project,
reached under another name. Docker scopes the alias to the linking
container; here it becomes a hosts entry of the new container, with the
address the outside container has on a network the service joins (as
Docker, the outside container must share a network with the service)."""

from __future__ import annotations

from typing import Any

from hullbox.engine.options import ContainerOptions
from hullbox.errors import ContainerNotFound, InvalidArgument


def _inspect(engine: Any, service: str, container: str) -> dict[str, Any]:
    try:
        return engine.containers.inspect(container)  # type: ignore[no-any-return]
    except ContainerNotFound:
        raise InvalidArgument(f"service {service!r}: external_links: no container "
                              f"{container!r}; create and start it first") from None


def check_external_links(engine: Any, services: dict[str, dict[str, Any]]) -> None:
    """Before anything is made: every container the services link to exists."""
    for name, service in services.items():
        for link in service.get("external_links") or []:
            _inspect(engine, name, str(link).partition(":")[0])


def external_link_hosts(engine: Any, service: str, links: list[str],
                        options: ContainerOptions) -> list[str]:
    """``--add-host`` values (``alias:address``) for the service's external links."""
    joins = [options.network, *options.networking.connected]
    hosts = []
    for link in links:
        container, _, alias = str(link).partition(":")
        info = _inspect(engine, service, container)
        networks = info["NetworkSettings"]["Networks"] or {}
        shared = [n for n in joins if (networks.get(n) or {}).get("IPAddress")]
        if not shared:
            raise InvalidArgument(
                f"service {service!r}: external_links: container {container} is running on "
                f"none of the service's networks; connect it: hullbox network connect "
                f"{joins[0]} {container}")
        hosts.append(f"{alias or container}:{networks[shared[0]]['IPAddress']}")
    return hosts
