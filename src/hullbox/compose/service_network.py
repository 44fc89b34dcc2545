"""A service's networking as the engine's ``NetworkSettings``: its network
mode or networks (the first joined at start, the others as ``connected``,
each with the service's name as an alias so peers find it by name), its
published ports as ``-p`` values, and its DNS and hosts entries."""

from __future__ import annotations

from typing import Any

from hullbox.compose import naming
from hullbox.engine.settings.network import NetworkSettings
from hullbox.errors import InvalidArgument


def _as_list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def publish_value(entry: dict[str, Any]) -> str:
    """One long-syntax ``ports`` entry as a ``-p`` value."""
    published = str(entry.get("published") or "")  # a range: the first free one
    host_ip = str(entry.get("host_ip") or "")
    if ":" in host_ip:
        host_ip = f"[{host_ip}]"
    if entry.get("mode", "ingress") not in ("ingress", "host"):
        raise InvalidArgument(f"ports: mode {entry['mode']!r} is not supported; use ingress "
                              "or host")
    prefix = f"{host_ip}:{published}:" if host_ip else (f"{published}:" if published else "")
    return f"{prefix}{entry['target']}/{entry.get('protocol') or 'tcp'}"


def _extra_host(value: str) -> str:
    """compose-go writes ``name=ip`` (and accepts ``name:ip``); -add-host wants ``name:ip``."""
    name, sep, address = value.partition("=")
    return f"{name}:{address}" if sep else value


def _extra_hosts(value: Any) -> list[str]:
    if isinstance(value, dict):
        hosts = []
        for name, addresses in value.items():
            hosts += [f"{name}:{a}" for a in _as_list(addresses)]
        return hosts
    return [_extra_host(v) for v in _as_list(value)]


def network_mode(project: str, service: dict[str, Any]) -> str | None:
    """The engine's --network for ``network_mode`` (None when it is unset)."""
    mode = service.get("network_mode")
    if not mode:
        return None
    if mode == "bridge":
        return "default"
    if mode.startswith("service:"):
        return "container:" + naming.container_name(project, mode.partition(":")[2], 1)
    return str(mode)


def _ordered(networks: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """By ``priority`` (highest first), then by name, as docker compose joins them."""
    items = [(key, dict(value or {})) for key, value in networks.items()]
    return sorted(items, key=lambda item: (-int(item[1].get("priority") or 0), item[0]))


def links(service: dict[str, Any]) -> list[str]:
    """``links: [db:database]`` as ``service:alias`` pairs: the alias names
    every replica of ``db`` (by its service-name alias) in this service's
    containers only, as Docker scopes a link alias to the linking container."""
    found = []
    for link in service.get("links") or []:
        target, _, alias = str(link).partition(":")
        if alias and alias != target:
            found.append(f"{target}:{alias}")
    return found


def network_settings(project: str, model: dict[str, Any], name: str,
                     service: dict[str, Any]) -> tuple[str, NetworkSettings]:
    """(the engine's --network, NetworkSettings) of one service."""
    settings = NetworkSettings(
        ports=[publish_value(p) for p in service.get("ports") or []],
        mac_address=str(service.get("mac_address") or ""),
        dns=_as_list(service.get("dns")),
        dns_search=_as_list(service.get("dns_search")),
        dns_options=_as_list(service.get("dns_opt")),
        add_hosts=_extra_hosts(service.get("extra_hosts")),
        links=links(service),
    )
    mode = network_mode(project, service)
    if mode is not None:
        return mode, settings
    top = model.get("networks") or {}
    first = ""
    for key, config in _ordered(service.get("networks") or {"default": None}):
        real = str((top.get(key) or {}).get("name") or f"{project}_{key}")
        aliases = [name, *_as_list(config.get("aliases"))]
        address = str(config.get("ipv4_address") or "")
        if not first:
            first = real
            settings.aliases, settings.ip = aliases, address
            if config.get("mac_address"):
                settings.mac_address = str(config["mac_address"])
        else:
            settings.connected[real] = {"aliases": aliases, "ip": address}
    return first, settings
