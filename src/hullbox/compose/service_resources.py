"""A service's resource attributes as ``run``'s resource flags: cpu_shares,
cpuset, cpu_period/cpu_quota, the real-time budget, memswap_limit,
mem_reservation (or deploy.resources.reservations.memory), mem_swappiness,
the OOM killer and score, cgroup_parent, device_cgroup_rules, blkio_config
and storage_opt; gpus (and GPU device reservations) are refused as
``--gpus`` is. Docker Compose's mapping (compose's getDeployResources):
reservations.cpus and generic_resources do not reach a container."""

from __future__ import annotations

from typing import Any

from hullbox.compose.units import parse_duration
from hullbox.errors import InvalidArgument

#: the service attributes mapped here (plan.py treats them as handled)
RESOURCE_KEYS = frozenset({
    "cpu_shares", "cpuset", "cpu_period", "cpu_rt_period", "cpu_rt_runtime", "cpu_count",
    "cpu_percent", "memswap_limit", "mem_reservation", "mem_swappiness", "oom_score_adj",
    "oom_kill_disable", "cgroup_parent", "device_cgroup_rules", "blkio_config",
    "storage_opt", "gpus",
})
_BLKIO_THROTTLES = ("device_read_bps", "device_write_bps", "device_read_iops",
                    "device_write_iops")


def _microseconds(value: Any) -> int | None:
    """cpu_rt_*: microseconds as a number, or a duration such as ``400ms``."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        return parse_duration(text) // 1000
    except ValueError:
        raise InvalidArgument(f"invalid duration {value!r}: use microseconds or a duration "
                              "such as 400ms") from None


def _wants_gpus(service: dict[str, Any]) -> str | None:
    if service.get("gpus"):
        return "gpus"
    reservations = (((service.get("deploy") or {}).get("resources") or {})
                    .get("reservations") or {})
    for device in reservations.get("devices") or ():
        if "gpu" in (device.get("capabilities") or ()):
            return "deploy.resources.reservations.devices (gpu)"
    return None


def _blkio(config: dict[str, Any]) -> dict[str, Any]:
    typed: dict[str, Any] = {}
    if config.get("weight") not in (None, ""):
        typed["blkio_weight"] = int(config["weight"])
    typed["blkio_weight_device"] = [f"{d['path']}:{d['weight']}"
                                    for d in config.get("weight_device") or ()]
    for key in _BLKIO_THROTTLES:
        typed[key] = [f"{d['path']}:{d['rate']}" for d in config.get(key) or ()]
    return typed


def resource_settings(service: dict[str, Any]) -> Any:
    """The ResourceSettings of a (normalised) service; InvalidArgument as ``run``'s flags."""
    from hullbox.engine.resource_host import refuse_unsupported
    from hullbox.engine.settings.resources import ResourceSettings

    gpus = _wants_gpus(service)
    if gpus:
        raise InvalidArgument(f"{gpus}: could not select device driver \"\" with capabilities: "
                              "[[gpu]]: hullbox has no GPU support (as --gpus)")
    refuse_unsupported(cpu_percent=service.get("cpu_percent"))
    reservations = (((service.get("deploy") or {}).get("resources") or {})
                    .get("reservations") or {})
    period = service.get("cpu_period")
    swap = service.get("memswap_limit")
    typed: dict[str, Any] = {
        "cpu_shares": service.get("cpu_shares"),
        "cpuset_cpus": None if service.get("cpuset") is None else str(service["cpuset"]),
        "cpu_period": period,
        # with a period, the quota is over it (plan.py makes a quota alone --cpus)
        "cpu_quota": service.get("cpu_quota") if period not in (None, "") else None,
        "cpu_rt_period": _microseconds(service.get("cpu_rt_period")),
        "cpu_rt_runtime": _microseconds(service.get("cpu_rt_runtime")),
        "cpu_count": service.get("cpu_count"),
        "memory_swap": None if swap in (None, "") else str(swap),
        "memory_reservation": service.get("mem_reservation") or reservations.get("memory"),
        "memory_swappiness": service.get("mem_swappiness"),
        "oom_kill_disable": bool(service.get("oom_kill_disable")),
        "oom_score_adj": service.get("oom_score_adj"),
        "cgroup_parent": service.get("cgroup_parent"),
        "device_cgroup_rules": list(service.get("device_cgroup_rules") or ()),
        "storage_opt": [f"{k}={v}" for k, v in (service.get("storage_opt") or {}).items()],
        **_blkio(service.get("blkio_config") or {}),
    }
    if typed["memory_reservation"] is not None:
        typed["memory_reservation"] = str(typed["memory_reservation"])
    return ResourceSettings.parse(**typed)
