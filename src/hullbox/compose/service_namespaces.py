"""A service's namespaces and identity as the engine's ``NamespaceSettings``,
through the same parse as ``run``'s --ipc, --pid, --uts, --cgroupns,
--group-add, --domainname and --annotation; ``service:NAME`` is that
service's first container. Its networks' ``ipv6_address`` and
``link_local_ips`` are the --ip6 and --link-local-ip of each network."""

from __future__ import annotations

from typing import Any

from hullbox.compose import naming
from hullbox.engine.settings.namespaces import NamespaceSettings

#: the service attributes mapped here
KEYS = frozenset({"ipc", "pid", "uts", "cgroup", "group_add", "domainname", "annotations"})


def _joined(project: str, value: Any) -> str | None:
    """``service:NAME`` as ``container:<its first container>``; others as written."""
    if value in (None, ""):
        return None
    text = str(value)
    if text.startswith("service:"):
        return "container:" + naming.container_name(project, text.partition(":")[2], 1)
    return text


def _annotations(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [f"{key}={'' if item is None else item}" for key, item in value.items()]
    return [str(item) for item in value or []]


def _per_network(model: dict[str, Any], project: str,
                 service: dict[str, Any]) -> tuple[dict[str, str], dict[str, list[str]]]:
    top = model.get("networks") or {}
    ip6: dict[str, str] = {}
    link_local: dict[str, list[str]] = {}
    for key, config in (service.get("networks") or {}).items():
        real = str((top.get(key) or {}).get("name") or f"{project}_{key}")
        if (config or {}).get("ipv6_address"):
            ip6[real] = str(config["ipv6_address"])
        if (config or {}).get("link_local_ips"):
            link_local[real] = [str(a) for a in config["link_local_ips"]]
    return ip6, link_local


def namespace_settings(project: str, model: dict[str, Any],
                       service: dict[str, Any]) -> NamespaceSettings:
    """The service's settings, checked as ``run``'s flags are."""
    ip6, link_local = _per_network(model, project, service)
    settings = NamespaceSettings.parse(
        ipc=_joined(project, service.get("ipc")),
        pid=_joined(project, service.get("pid")),
        uts=service.get("uts") or None,
        cgroupns=service.get("cgroup") or None,
        group_add=[str(g) for g in service.get("group_add") or []],
        domainname=service.get("domainname") or None,
        annotations=_annotations(service.get("annotations")),
        link_local_ips=[a for addresses in link_local.values() for a in addresses],
        hostname=service.get("hostname"),
        init=bool(service.get("init")),  # run's --init: HostConfig.Init, as compose sets it
    )
    for address in ip6.values():
        NamespaceSettings.parse(ip6=address)  # the same check as --ip6
    settings.network_ip6, settings.network_link_local = ip6, link_local
    settings.link_local_ips = []  # they are per network, above
    return settings
