"""The one place where a compose service becomes engine calls: its image,
command and ``ContainerOptions``. Every attribute is either turned into
engine settings here (through the same parse as ``run``'s flags, in
service_network, service_storage and service_runtime), handled by compose
itself (replicas, dependencies, builds), known to change nothing at run time
(metadata), or refused with one line naming what hullbox's engine lacks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hullbox.compose.naming import config_hash, service_image
from hullbox.compose.service_engine import engine_choice
from hullbox.compose.service_namespaces import KEYS as NAMESPACE_KEYS
from hullbox.compose.service_namespaces import namespace_settings
from hullbox.compose.service_network import network_settings
from hullbox.compose.service_resources import RESOURCE_KEYS, resource_settings
from hullbox.compose.service_runtime import (
    health_settings,
    lifecycle_settings,
    security_settings,
)
from hullbox.compose.service_storage import storage_settings
from hullbox.compose.units import parse_bytes
from hullbox.engine.options import ContainerOptions
from hullbox.engine.settings.behaviour import BehaviourSettings, parse_expose
from hullbox.errors import InvalidArgument, Unsupported

CFS_PERIOD = 100_000  # microseconds: the period --cpus sets a quota over

# Attributes that need an engine feature hullbox has not got yet: the feature.
_WAITING: dict[str, str] = {
    "volume_driver": "volume drivers",
    "use_api_socket": "the Docker API socket",
    "credential_spec": "credential specs", "models": "AI models",
    "provider": "provider services",
}

# Attributes mapped to engine settings, handled by compose itself, or that
# do not change how a container runs.
_HANDLED = {
    "image", "build", "command", "entrypoint", "environment", "env_file", "label_file",
    "working_dir", "user", "hostname", "tty", "stdin_open", "read_only", "labels",
    "container_name", "restart", "deploy", "scale", "depends_on", "profiles",
    "stop_signal", "stop_grace_period", "expose", "network_mode", "networks",
    "mem_limit", "cpus", "pids_limit", "pull_policy", "platform", "logging", "develop",
    "attach", "extends", "pull_refresh_after", "links",
    "external_links", "ports", "volumes", "volumes_from",
    "tmpfs", "extra_hosts", "dns", "dns_search", "dns_opt", "mac_address", "healthcheck",
    "cap_add", "cap_drop", "privileged", "security_opt", "ulimits", "sysctls", "devices",
    "userns_mode", "init", "secrets", "configs", "shm_size", "cpu_quota",
    "post_start", "pre_stop", "runtime", "isolation",  # compose.hooks, compose.service_engine
    *RESOURCE_KEYS,
} | NAMESPACE_KEYS


@dataclass
class ServicePlan:
    """How to run the replicas of one service."""

    name: str
    image: str
    command: list[str] | None
    options: ContainerOptions
    replicas: int
    config_hash: str
    depends_on: dict[str, Any] = field(default_factory=dict)


def _present(value: Any) -> bool:
    return value not in (None, False, "", [], {})


def _unsupported(service: dict[str, Any]) -> list[str]:
    missing: list[str] = []
    for key, value in service.items():
        if key.startswith("x-") or not _present(value):
            continue
        if key in _WAITING:
            missing.append(f"{key} ({_WAITING[key]})")
        elif key not in _HANDLED:
            missing.append(f"{key} (not implemented)")
    resources = (service.get("deploy") or {}).get("resources") or {}
    for key in (resources.get("limits") or {}):
        if key not in ("cpus", "memory", "pids"):
            missing.append(f"deploy.resources.limits.{key} (not implemented)")
    return missing


def replicas_of(service: dict[str, Any]) -> int:
    """``scale``, else ``deploy.replicas``, else 1."""
    if service.get("scale") is not None:
        return int(service["scale"])
    replicas = (service.get("deploy") or {}).get("replicas")
    return 1 if replicas is None else int(replicas)


def _quota_cpus(service: dict[str, Any]) -> float | None:
    """``cpu_quota`` (over the default 100ms period) is what ``--cpus`` sets."""
    quota: Any = service.get("cpu_quota")
    if quota in (None, "") or int(quota) < 0:
        return None
    if service.get("cpus"):
        raise InvalidArgument("cpus and cpu_quota cannot both be set; use one")
    if int(quota) < 1000:
        raise InvalidArgument(f"cpu_quota {quota} is below the minimum of 1000 (1ms)")
    return int(quota) / CFS_PERIOD


def _options(project: str, model: dict[str, Any], name: str,
             service: dict[str, Any]) -> ContainerOptions:
    limits = ((service.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    memory = service.get("mem_limit") or limits.get("memory")
    # with cpu_period, cpu_quota is over it (service_resources); alone, it is --cpus
    quota_cpus = None if service.get("cpu_period") else _quota_cpus(service)
    cpus = service.get("cpus") or limits.get("cpus") or quota_cpus
    env = [f"{key}={value}" for key, value in (service.get("environment") or {}).items()
           if value is not None]
    network, networking = network_settings(project, model, name, service)
    return ContainerOptions.parse(
        env=env,
        workdir=service.get("working_dir"),
        user=None if service.get("user") is None else str(service["user"]),
        hostname=service.get("hostname"),
        entrypoint=service.get("entrypoint"),
        tty=bool(service.get("tty")),
        interactive=bool(service.get("stdin_open")),
        read_only=bool(service.get("read_only")),
        network=network,
        memory=parse_bytes(memory) if memory else None,
        cpus=cpus or None,
        pids_limit=service.get("pids_limit") or limits.get("pids"),
        labels={k: str(v) for k, v in (service.get("labels") or {}).items()},
        networking=networking,
        storage=storage_settings(project, model, service),
        security=security_settings(service, host_network=network == "host"),
        health=health_settings(service),
        lifecycle=lifecycle_settings(service),
        namespaces=namespace_settings(project, model, service),
        resources=resource_settings(service),
        **engine_choice(service),
        behaviour=BehaviourSettings(expose=parse_expose(
            [str(port) for port in service.get("expose") or []])),
    )


def plan_service(project: str, model: dict[str, Any], name: str) -> ServicePlan:
    """The engine calls for one service of the (normalised) ``model``;
    Unsupported names what is missing, InvalidArgument what is wrong."""
    service = model["services"][name]
    missing = _unsupported(service)
    if missing:
        raise Unsupported(f"service {name!r} uses what hullbox cannot do yet: "
                          + ", ".join(missing))
    try:
        options = _options(project, model, name, service)
    except InvalidArgument as exc:
        raise InvalidArgument(f"service {name!r}: {exc}") from None
    return ServicePlan(
        name=name,
        image=service_image(project, name, service),
        command=service.get("command"),
        options=options,
        replicas=replicas_of(service),
        config_hash=config_hash(service),
        depends_on=dict(service.get("depends_on") or {}),
    )
