"""The resource settings in a container's config.json (the runtime-spec
fields runc reads too) and in ``inspect``'s HostConfig, named as docker
names them."""

from __future__ import annotations

from typing import Any

from hullbox.engine.resource_host import device_numbers
from hullbox.engine.settings.resources import THROTTLES, ResourceSettings

#: stored throttle field -> (config.json blockIO key, inspect HostConfig key)
_THROTTLE_KEYS = {
    "device_read_bps": ("throttleReadBpsDevice", "BlkioDeviceReadBps"),
    "device_write_bps": ("throttleWriteBpsDevice", "BlkioDeviceWriteBps"),
    "device_read_iops": ("throttleReadIOPSDevice", "BlkioDeviceReadIOps"),
    "device_write_iops": ("throttleWriteIOPSDevice", "BlkioDeviceWriteIOps"),
}


def cgroups_path(settings: ResourceSettings, container_id: str) -> str:
    """``/hullbox/<id>``, or ``<cgroup-parent>/<id>`` as dockerd's cgroupfs driver makes it."""
    parent = settings.cgroup_parent.strip("/") or "hullbox"
    return f"/{parent}/{container_id}"


def memory_swap(settings: ResourceSettings, memory: int) -> int:
    """Docker's MemorySwap: as given, else twice --memory when that is set."""
    if settings.memory_swap:
        return settings.memory_swap
    return memory * 2 if memory else 0


def device_rule(text: str) -> dict[str, Any]:
    """``c 1:3 mr`` as a linux.resources.devices entry."""
    kind, numbers, access = text.split()
    major, _, minor = numbers.partition(":")
    rule: dict[str, Any] = {"allow": True, "type": kind, "access": access}
    if major != "*":
        rule["major"] = int(major)
    if minor != "*":
        rule["minor"] = int(minor)
    return rule


def apply_resources(spec: dict[str, Any], settings: ResourceSettings, memory: int,
                    container_id: str) -> None:
    """Write the settings into config.json's linux.resources and process."""
    linux = spec["linux"]
    linux["cgroupsPath"] = cgroups_path(settings, container_id)
    resources: dict[str, Any] = linux.setdefault("resources", {})
    cpu = resources.get("cpu") or {}
    for key, value in (("shares", settings.cpu_shares), ("period", settings.cpu_period),
                       ("quota", settings.cpu_quota),
                       ("realtimePeriod", settings.cpu_rt_period),
                       ("realtimeRuntime", settings.cpu_rt_runtime),
                       ("cpus", settings.cpuset_cpus), ("mems", settings.cpuset_mems)):
        if value:
            cpu[key] = value
    if cpu:
        resources["cpu"] = cpu
    mem = resources.get("memory") or {}
    swap = memory_swap(settings, memory)
    if swap and memory:
        mem["swap"] = swap
    if settings.memory_reservation:
        mem["reservation"] = settings.memory_reservation
    if settings.memory_swappiness is not None:
        mem["swappiness"] = settings.memory_swappiness
    if settings.oom_kill_disable:
        mem["disableOOMKiller"] = True
    if mem:
        resources["memory"] = mem
    block_io = _block_io(settings)
    if block_io:
        resources["blockIO"] = block_io
    rules = resources.setdefault("devices", [])
    rules.extend(device_rule(rule) for rule in settings.device_cgroup_rules)
    if settings.oom_score_adj:
        spec["process"]["oomScoreAdj"] = settings.oom_score_adj


def _block_io(settings: ResourceSettings) -> dict[str, Any]:
    block_io: dict[str, Any] = {}
    if settings.blkio_weight:
        block_io["weight"] = settings.blkio_weight
    if settings.blkio_weight_device:
        block_io["weightDevice"] = [
            {**_numbers(e["Path"], "--blkio-weight-device"), "weight": e["Weight"]}
            for e in settings.blkio_weight_device]
    for name, (flag, _) in THROTTLES.items():
        entries = getattr(settings, name)
        if entries:
            block_io[_THROTTLE_KEYS[name][0]] = [
                {**_numbers(e["Path"], flag), "rate": e["Rate"]} for e in entries]
    return block_io


def _numbers(path: str, flag: str) -> dict[str, int]:
    major, minor = device_numbers(path, flag)
    return {"major": major, "minor": minor}


def inspect_fields(settings: ResourceSettings, memory: int) -> dict[str, Any]:
    """HostConfig's resource fields, in docker's names and shapes."""
    return {
        "CpuShares": settings.cpu_shares,
        "CpuPeriod": settings.cpu_period,
        "CpuQuota": settings.cpu_quota,
        "CpuRealtimePeriod": settings.cpu_rt_period,
        "CpuRealtimeRuntime": settings.cpu_rt_runtime,
        "CpusetCpus": settings.cpuset_cpus,
        "CpusetMems": settings.cpuset_mems,
        "CpuCount": settings.cpu_count,
        "CpuPercent": 0,
        "MemoryReservation": settings.memory_reservation,
        "MemorySwap": memory_swap(settings, memory),
        "MemorySwappiness": settings.memory_swappiness,
        "OomKillDisable": settings.oom_kill_disable,
        "OomScoreAdj": settings.oom_score_adj,
        "CgroupParent": settings.cgroup_parent,
        "DeviceCgroupRules": list(settings.device_cgroup_rules) or None,
        "BlkioWeight": settings.blkio_weight,
        "BlkioWeightDevice": list(settings.blkio_weight_device),
        **{key: list(getattr(settings, name)) for name, (_, key) in _THROTTLE_KEYS.items()},
        "IOMaximumIOps": 0,
        "IOMaximumBandwidth": 0,
        "StorageOpt": dict(settings.storage_opt) or None,
        "DeviceRequests": None,
    }
