"""The one place where a compose service becomes engine calls: its image,
command and ``ContainerOptions``. Every attribute is either turned into an
engine option here, handled by compose itself (replicas, dependencies, stop
signal and grace period), known to change nothing at run time (metadata), or
refused with one line naming what hullbox's engine lacks yet. When the engine
gains networks, published ports, volumes, health checks or builds, their
attributes move from ``_WAITING`` to a ``_apply_*`` function below."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hullbox.compose.naming import config_hash, service_image
from hullbox.compose.units import parse_bytes, parse_duration
from hullbox.engine.options import ContainerOptions
from hullbox.errors import Unsupported

# Attributes that need an engine feature hullbox has not got yet: the feature.
# (Published ports, volumes and networks come with the network/volume work,
# health checks with exec, builds with the image builder.)
_WAITING: dict[str, str] = {
    "ports": "published ports", "volumes": "volumes and bind mounts",
    "volumes_from": "volumes", "tmpfs": "tmpfs mounts", "volume_driver": "volumes",
    "secrets": "file mounts", "configs": "file mounts",
    "links": "name resolution between containers",
    "external_links": "name resolution between containers",
    "extra_hosts": "--add-host", "dns": "--dns", "dns_search": "--dns-search",
    "dns_opt": "--dns-option", "mac_address": "user-defined networks",
    "healthcheck": "health checks", "post_start": "exec", "pre_stop": "exec",
    "init": "--init", "cap_add": "--cap-add", "cap_drop": "--cap-drop",
    "privileged": "--privileged", "security_opt": "--security-opt", "ulimits": "--ulimit",
    "sysctls": "--sysctl", "devices": "--device", "device_cgroup_rules": "--device-cgroup-rule",
    "shm_size": "--shm-size", "group_add": "--group-add", "ipc": "--ipc", "pid": "--pid",
    "uts": "--uts", "userns_mode": "--userns", "cgroup": "--cgroupns",
    "cgroup_parent": "--cgroup-parent", "oom_kill_disable": "--oom-kill-disable",
    "oom_score_adj": "--oom-score-adj", "storage_opt": "--storage-opt",
    "domainname": "--domainname", "gpus": "--gpus", "blkio_config": "--blkio-weight",
    "cpu_shares": "--cpu-shares", "cpu_quota": "--cpu-quota", "cpu_period": "--cpu-period",
    "cpuset": "--cpuset-cpus", "mem_reservation": "--memory-reservation",
    "memswap_limit": "--memory-swap", "mem_swappiness": "--memory-swappiness",
    "runtime": "--runtime per service", "isolation": "--isolation",
    "annotations": "--annotation", "use_api_socket": "the Docker API socket",
    "credential_spec": "credential specs", "models": "AI models",
    "provider": "provider services", "cpu_count": "--cpu-count",
    "cpu_percent": "--cpu-percent", "cpu_rt_period": "--cpu-rt-period",
    "cpu_rt_runtime": "--cpu-rt-runtime",
}

# Attributes compose handles itself, or that do not change how a container runs.
_HANDLED = {
    "image", "build", "command", "entrypoint", "environment", "env_file", "label_file",
    "working_dir", "user", "hostname", "tty", "stdin_open", "read_only", "labels",
    "container_name", "restart", "deploy", "scale", "depends_on", "profiles",
    "stop_signal", "stop_grace_period", "expose", "network_mode", "networks",
    "mem_limit", "cpus", "pids_limit", "pull_policy", "platform", "logging", "develop",
    "attach", "extends", "pull_refresh_after",
}


@dataclass
class ServicePlan:
    """How to run the replicas of one service."""

    name: str
    image: str
    command: list[str] | None
    options: ContainerOptions
    restart: str | None
    replicas: int
    stop_signal: str | None
    stop_timeout: float | None
    config_hash: str
    depends_on: dict[str, Any] = field(default_factory=dict)


def _present(value: Any) -> bool:
    return value not in (None, False, "", [], {})


def _unsupported(name: str, service: dict[str, Any]) -> list[str]:
    missing: list[str] = []
    for key, value in service.items():
        if key.startswith("x-") or not _present(value):
            continue
        if key in _WAITING:
            missing.append(f"{key} ({_WAITING[key]})")
        elif key not in _HANDLED:
            missing.append(f"{key} (not implemented)")
    networks = service.get("networks") or {}
    if set(networks) - {"default"} or any(networks.values()):
        missing.append(f"networks {', '.join(sorted(networks))} (user-defined networks)")
    mode = service.get("network_mode") or ""
    if mode.startswith(("service:", "container:")):
        missing.append(f"network_mode {mode} (joining another container's network)")
    for dep, spec in (service.get("depends_on") or {}).items():
        if spec.get("condition") == "service_healthy":
            missing.append(f"depends_on {dep}: service_healthy (health checks)")
    driver = (service.get("logging") or {}).get("driver")
    if driver not in (None, "json-file", "local", "k8s-file"):
        missing.append(f"logging driver {driver} (not implemented)")
    resources = (service.get("deploy") or {}).get("resources") or {}
    for key in (resources.get("limits") or {}):
        if key not in ("cpus", "memory", "pids"):
            missing.append(f"deploy.resources.limits.{key} (not implemented)")
    return missing


def _network_mode(service: dict[str, Any]) -> str:
    mode = service.get("network_mode") or "default"
    return "default" if mode == "bridge" else mode


def replicas_of(service: dict[str, Any]) -> int:
    """``scale``, else ``deploy.replicas``, else 1."""
    if service.get("scale") is not None:
        return int(service["scale"])
    replicas = (service.get("deploy") or {}).get("replicas")
    return 1 if replicas is None else int(replicas)


def plan_service(project_name: str, name: str, service: dict[str, Any]) -> ServicePlan:
    """The engine calls for one service; Unsupported names what is missing."""
    missing = _unsupported(name, service)
    if missing:
        raise Unsupported(f"service {name!r} uses what hullbox cannot do yet: "
                          + ", ".join(missing))
    limits = ((service.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    memory = service.get("mem_limit") or limits.get("memory")
    cpus = service.get("cpus") or limits.get("cpus")
    env = [f"{key}={value}" for key, value in (service.get("environment") or {}).items()
           if value is not None]
    options = ContainerOptions.parse(
        env=env,
        workdir=service.get("working_dir"),
        user=None if service.get("user") is None else str(service["user"]),
        hostname=service.get("hostname"),
        entrypoint=service.get("entrypoint"),
        tty=bool(service.get("tty")),
        interactive=bool(service.get("stdin_open")),
        read_only=bool(service.get("read_only")),
        network=_network_mode(service),
        memory=parse_bytes(memory) if memory else None,
        cpus=cpus or None,
        pids_limit=service.get("pids_limit") or limits.get("pids"),
        labels=dict(service.get("labels") or {}),
    )
    grace = service.get("stop_grace_period")
    restart = service.get("restart")
    return ServicePlan(
        name=name,
        image=service_image(project_name, name, service),
        command=service.get("command"),
        options=options,
        restart=None if restart in (None, "no") else str(restart),
        replicas=replicas_of(service),
        stop_signal=service.get("stop_signal"),
        stop_timeout=parse_duration(grace) / 1e9 if grace else None,
        config_hash=config_hash(service),
        depends_on=dict(service.get("depends_on") or {}),
    )
