"""Short syntax to long syntax, one service attribute at a time, so every
later step (merge, paths, the planner) sees one shape per attribute:
``environment`` a mapping, ``ports`` and ``volumes`` long entries,
``depends_on`` a mapping with conditions, durations as Go prints them."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

from hullbox.compose.ports import parse_port
from hullbox.compose.units import normalize_duration, parse_bytes
from hullbox.compose.volumes import normalize_volume
from hullbox.compose.yamlsrc import Override, Reset


def scalar_text(value: Any) -> str:
    """A scalar as compose-go turns it into a string (``true``, ``42``, ``0.3``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def to_mapping(value: Any, *, none_as: str | None = None, sep: str = "=") -> dict[str, Any]:
    """A list of ``KEY=VALUE`` (or a mapping) as a mapping of strings; a key
    without a value maps to ``none_as``."""
    if isinstance(value, dict):
        return {str(k): none_as if v is None else scalar_text(v) for k, v in value.items()}
    out: dict[str, Any] = {}
    for item in value or []:
        key, found, val = str(item).partition(sep)
        out[key] = val if found else none_as
    return out


def to_list(value: Any) -> list[Any]:
    """A string, or a list, as a list."""
    if value is None:
        return []
    return [value] if isinstance(value, str | int | float) else list(value)


def command(value: Any) -> list[str] | None:
    """``command``/``entrypoint``: a string is split like a shell would."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as exc:
            raise ValueError(f"invalid command line {value!r}: {exc}") from None
    return [scalar_text(item) for item in value]


def hooks(value: Any) -> list[Any]:
    """``post_start``/``pre_stop``: each command split as ``command`` is, each
    environment a mapping, as compose-go reads a hook."""
    out = []
    for hook in value:
        hook = dict(hook)
        if hook.get("command") is not None:
            hook["command"] = command(hook["command"])
        if hook.get("environment") is not None:
            hook["environment"] = to_mapping(hook["environment"])
        out.append(hook)
    return out


def depends_on(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        value = {name: {} for name in value}
    out: dict[str, Any] = {}
    for name, spec in value.items():
        entry = {"condition": "service_started", **(spec or {})}
        entry.setdefault("required", True)
        out[name] = entry
    return out


def env_files(value: Any) -> list[dict[str, Any]]:
    out = []
    for item in to_list(value):
        entry = {"path": item} if isinstance(item, str) else dict(item)
        if entry.get("required", True) in (True, "true"):
            entry.pop("required", None)  # required is the default; compose omits it
        out.append(entry)
    return out


def extra_hosts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [f"{host}={ip}" for host, ips in value.items() for ip in to_list(ips)]
    out = []
    for item in value:
        host, found, ip = item.partition("=")
        if not found:
            host, _, ip = item.partition(":")
        out.append(f"{host}={ip}")
    return out


def healthcheck(value: dict[str, Any]) -> dict[str, Any]:
    out = dict(value)
    test = out.get("test")
    if isinstance(test, str):
        out["test"] = ["CMD-SHELL", test]
    for key in ("interval", "timeout", "start_period", "start_interval"):
        if key in out and out[key] is not None:
            out[key] = normalize_duration(out[key])
    return out


def mount_refs(value: Any) -> list[dict[str, Any]]:
    """``secrets``/``configs`` of a service: names become ``{source: name}``;
    a file mode prints in octal like compose (``"0440"``)."""
    out = []
    for item in value:
        entry = {"source": item} if isinstance(item, str) else dict(item)
        if isinstance(entry.get("mode"), int):
            entry["mode"] = "0" + format(entry["mode"], "o")
        for key in ("uid", "gid"):
            if key in entry:
                entry[key] = scalar_text(entry[key])
        out.append(entry)
    return out


def build(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"context": value} if isinstance(value, str) else dict(value)
    for key in ("args",):
        if key in out:
            out[key] = to_mapping(out[key])
    for key in ("labels",):
        if key in out:
            out[key] = to_mapping(out[key], none_as="")
    if "additional_contexts" in out:
        out["additional_contexts"] = to_mapping(out["additional_contexts"])
    if "extra_hosts" in out:
        out["extra_hosts"] = extra_hosts(out["extra_hosts"])
    if "secrets" in out:
        out["secrets"] = mount_refs(out["secrets"])
    if "shm_size" in out:
        out["shm_size"] = str(parse_bytes(out["shm_size"]))
    return out


def _update_config(value: dict[str, Any]) -> dict[str, Any]:
    out = dict(value)
    for key in ("delay", "monitor"):
        if key in out:
            out[key] = normalize_duration(out[key])
    return out


def _resources(value: dict[str, Any]) -> dict[str, Any]:
    out = dict(value)
    for kind in ("limits", "reservations"):
        if isinstance(out.get(kind), dict):
            res = dict(out[kind])
            if "cpus" in res:
                res["cpus"] = float(res["cpus"])
            if "memory" in res:
                res["memory"] = str(parse_bytes(res["memory"]))
            out[kind] = res
    return out


def deploy(value: dict[str, Any]) -> dict[str, Any]:
    out = dict(value)
    for key in ("update_config", "rollback_config"):
        if isinstance(out.get(key), dict):
            out[key] = _update_config(out[key])
    if isinstance(out.get("restart_policy"), dict):
        policy = dict(out["restart_policy"])
        for key in ("delay", "window"):
            if key in policy:
                policy[key] = normalize_duration(policy[key])
        out["restart_policy"] = policy
    if isinstance(out.get("resources"), dict):
        out["resources"] = _resources(out["resources"])
    if "labels" in out:
        out["labels"] = to_mapping(out["labels"], none_as="")
    return out


def devices(value: list[Any]) -> list[dict[str, Any]]:
    out = []
    for item in value:
        if isinstance(item, dict):
            out.append({"permissions": "rwm", **item})
            continue
        parts = str(item).split(":")
        source = parts[0]
        target = parts[1] if len(parts) > 1 else source
        out.append({"source": source, "target": target,
                    "permissions": parts[2] if len(parts) > 2 else "rwm"})
    return out


class ItemError(ValueError):
    """A malformed list item; the message names its index."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(message)
        self.index = index


def _each_item(parse: Callable[[Any], Any], flatten: bool = False) -> Callable[[Any], Any]:
    def parse_all(value: list[Any]) -> list[Any]:
        out: list[Any] = []
        for index, item in enumerate(value):
            try:
                parsed = parse(item)
            except ValueError as exc:
                raise ItemError(index, str(exc)) from None
            if flatten:
                out.extend(parsed)
            else:
                out.append(parsed)
        return out

    return parse_all


def _bytes_text(value: Any) -> str:
    return str(parse_bytes(value))


SERVICE_RULES: dict[str, Callable[[Any], Any]] = {
    "annotations": lambda v: to_mapping(v, none_as=""),
    "build": build,
    "command": command,
    "entrypoint": command,
    "post_start": hooks,
    "pre_stop": hooks,
    "configs": mount_refs,
    "secrets": mount_refs,
    "depends_on": depends_on,
    "deploy": deploy,
    "devices": devices,
    "dns": to_list,
    "dns_search": to_list,
    "dns_opt": to_list,
    "tmpfs": to_list,
    "env_file": env_files,
    "label_file": to_list,
    "environment": to_mapping,
    "labels": lambda v: to_mapping(v, none_as=""),
    "sysctls": to_mapping,
    "storage_opt": to_mapping,
    "expose": lambda v: [scalar_text(item) for item in v],
    "extends": lambda v: {"service": v} if isinstance(v, str) else dict(v),
    "extra_hosts": extra_hosts,
    "healthcheck": healthcheck,
    "logging": lambda v: {**v, "options": to_mapping(v["options"])} if v.get("options") else v,
    "networks": lambda v: {name: None for name in v} if isinstance(v, list) else dict(v),
    "ports": _each_item(parse_port, flatten=True),
    "volumes": _each_item(normalize_volume),
    "stop_grace_period": normalize_duration,
    "mem_limit": _bytes_text,
    "mem_reservation": _bytes_text,
    "memswap_limit": _bytes_text,
    "shm_size": _bytes_text,
    "cpus": float,
}


def canonical_service(service: Any, name: str) -> Any:
    """One service in long syntax; ValueError messages name the attribute."""
    if service is None:
        return {}
    if not isinstance(service, dict):
        return service
    out: dict[str, Any] = {}
    for key, value in service.items():
        rule = SERVICE_RULES.get(key)
        try:
            if rule is None or value is None or isinstance(value, Reset):
                out[key] = value
            elif isinstance(value, Override):
                out[key] = Override(rule(value.value))
            else:
                out[key] = rule(value)
        except ItemError as exc:
            raise ValueError(f"services.{name}.{key}[{exc.index}]: {exc}") from None
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError(f"services.{name}.{key}: {exc}") from None
    return out


def canonical_resource(value: Any) -> Any:
    """A top-level network, volume, secret or config: ``external: {name: x}``
    becomes ``name: x, external: true``; options and labels become strings."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        return value
    out = dict(value)
    external = out.get("external")
    if isinstance(external, dict):
        out["external"] = True
        if external.get("name"):
            out["name"] = external["name"]
    for key in ("driver_opts",):
        if isinstance(out.get(key), dict):
            out[key] = {k: scalar_text(v) for k, v in out[key].items()}
    if "labels" in out and out["labels"] is not None:
        out["labels"] = to_mapping(out["labels"], none_as="")
    return out


def canonical_model(model: dict[str, Any]) -> dict[str, Any]:
    """Every service and top-level resource of one file, in long syntax."""
    out = dict(model)
    if isinstance(model.get("services"), dict):
        out["services"] = {name: canonical_service(svc, name)
                           for name, svc in model["services"].items()}
    for section in ("networks", "volumes", "secrets", "configs"):
        if isinstance(model.get(section), dict):
            out[section] = {name: canonical_resource(value)
                            for name, value in model[section].items()}
    return out
