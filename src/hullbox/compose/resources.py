"""The networks and named volumes of a project: made by ``up`` before any
container (labelled as Docker Compose labels them, so ``down`` finds them
again from the store alone), removed by ``down`` (volumes only with -v).
External ones must exist and are never removed."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from hullbox.compose import naming
from hullbox.errors import Conflict, HullboxError, InvalidArgument, NotFound

LABEL_NETWORK = "com.docker.compose.network"
LABEL_VOLUME = "com.docker.compose.volume"

Report = Callable[[str, str, str], None]  # (kind, name, what happened)


def used_networks(services: dict[str, Any], names: list[str]) -> list[str]:
    """Keys of the top-level networks that these services join."""
    found: list[str] = []
    for name in names:
        service = services[name]
        if service.get("network_mode"):
            continue
        for key in service.get("networks") or {"default": None}:
            if key not in found:
                found.append(key)
    return found


def used_volumes(services: dict[str, Any], names: list[str]) -> list[str]:
    """Keys of the top-level volumes that these services mount."""
    found: list[str] = []
    for name in names:
        for entry in services[name].get("volumes") or []:
            key = entry.get("source") if entry.get("type") == "volume" else None
            if key and key not in found:
                found.append(key)
    return found


def _addressing(config: dict[str, Any]) -> Any:
    """The engine's Addressing of a network's ``ipam.config`` and ``enable_ipv6``."""
    from hullbox.engine.netplan import Addressing

    pools = [p for p in (config.get("ipam") or {}).get("config") or [] if p.get("subnet")]
    v4 = [p for p in pools if ":" not in str(p["subnet"])]
    v6 = [p for p in pools if ":" in str(p["subnet"])]
    asked = Addressing(ipv6=bool(config.get("enable_ipv6")) or bool(v6))
    if v4:
        asked.subnet, asked.gateway = str(v4[0]["subnet"]), str(v4[0].get("gateway") or "")
        asked.ip_range = str(v4[0].get("ip_range") or "")
    if v6:
        asked.subnet6, asked.gateway6 = str(v6[0]["subnet"]), str(v6[0].get("gateway") or "")
    return asked


def _exists(get: Any, kind: str, real: str, config: dict[str, Any]) -> bool:
    """Whether the project's network or volume ``real`` is there already; an
    ``external`` one that is not is an error naming the command that makes it."""
    try:
        get(real)
        return True
    except NotFound:
        if config.get("external"):
            raise NotFound(f"{kind} {real} declared as external, but could not be found; "
                           f"create it with: hullbox {kind} create {real}") from None
        return False


def ensure_networks(engine: Any, project: str, model: dict[str, Any], keys: list[str],
                    report: Report) -> None:
    """Make the project networks ``keys`` that do not exist yet."""
    top = model.get("networks") or {}
    for key in keys:
        config = dict(top.get(key) or {})
        real = str(config.get("name") or f"{project}_{key}")
        if _exists(engine.networks.get, "network", real, config):
            continue
        driver = config.get("driver") or "bridge"
        if driver != "bridge":
            raise InvalidArgument(f"network {key}: driver {driver!r} is not supported; "
                                  "use bridge")
        labels = {**{k: str(v) for k, v in (config.get("labels") or {}).items()},
                  naming.LABEL_PROJECT: project, LABEL_NETWORK: key}
        engine.networks.create(real, labels=labels, internal=bool(config.get("internal")),
                               addressing=_addressing(config))
        report("Network", real, "Created")


def ensure_volumes(engine: Any, project: str, model: dict[str, Any], keys: list[str],
                   report: Report) -> None:
    """Make the project's named volumes ``keys`` that do not exist yet."""
    top = model.get("volumes") or {}
    for key in keys:
        config = dict(top.get(key) or {})
        real = str(config.get("name") or f"{project}_{key}")
        if _exists(engine.volumes.get, "volume", real, config):
            continue
        labels = {**{k: str(v) for k, v in (config.get("labels") or {}).items()},
                  naming.LABEL_PROJECT: project, LABEL_VOLUME: key}
        engine.volumes.create(real, driver=config.get("driver") or "local",
                              options={k: str(v) for k, v in
                                       (config.get("driver_opts") or {}).items()},
                              labels=labels)
        report("Volume", real, "Created")


def remove_networks(engine: Any, project: str, report: Report) -> list[str]:
    """Remove the networks ``up`` made for the project; the ones still in use
    (by containers of other projects) are left, with their names returned."""
    kept = []
    for network in engine.networks.list():
        if network.labels.get(naming.LABEL_PROJECT) != project:
            continue
        try:
            engine.networks.remove(network.id)
            report("Network", network.name, "Removed")
        except Conflict:
            kept.append(network.name)
    return kept


def remove_volumes(engine: Any, project: str, report: Report) -> None:
    """``down -v``: the project's named volumes."""
    label = f"{naming.LABEL_PROJECT}={project}"
    for volume in engine.volumes.list({"label": [label]}):
        with contextlib.suppress(HullboxError):
            engine.volumes.remove(volume.name)
            report("Volume", volume.name, "Removed")
