"""``docker build``'s flags for the containers RUN steps run in: --add-host,
--cgroup-parent, --cpu-*, --cpuset-*, --memory, --memory-swap, --shm-size,
--ulimit and --security-opt. Parsed once, before anything is built, then
written into each RUN step's config.json (engine/build_run.py)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hullbox.engine.settings.security import ULIMITS, SecuritySettings, parse_ulimit
from hullbox.engine.units import parse_bytes
from hullbox.errors import InvalidArgument

MIN_MEMORY = 6 * 1024 * 1024  # dockerd's floor for --memory


@dataclass
class StepSettings:
    """What every RUN step of one build gets."""

    add_hosts: list[tuple[str, str]] = field(default_factory=list)  # name, address
    cgroup_parent: str = ""
    resources: dict[str, Any] = field(default_factory=dict)  # linux.resources
    ulimits: list[dict[str, Any]] = field(default_factory=list)
    shm_size: int = 0
    security: SecuritySettings | None = None  # only with --security-opt

    def apply(self, spec: dict[str, Any], container_id: str) -> None:
        """Into a RUN step's config.json made by default_spec()."""
        linux = spec["linux"]
        if self.cgroup_parent:
            linux["cgroupsPath"] = f"/{self.cgroup_parent.strip('/')}/{container_id}"
        for key, value in self.resources.items():
            linux.setdefault("resources", {})[key] = dict(value)
        if self.shm_size:
            for mount in spec["mounts"]:
                if mount["destination"] == "/dev/shm":
                    mount["options"] = [o for o in mount["options"]
                                        if not o.startswith("size=")]
                    mount["options"].append(f"size={self.shm_size}")
        if self.security is not None:
            from hullbox.engine.security import apply_security

            apply_security(spec, self.security)
        if self.ulimits:
            spec["process"]["rlimits"] = [
                {"type": ULIMITS[u["name"]], "soft": _rlim(u["soft"]), "hard": _rlim(u["hard"])}
                for u in self.ulimits]

    def hosts_lines(self) -> str:
        """--add-host entries, for the RUN steps' /etc/hosts."""
        return "".join(f"{address}\t{name}\n" for name, address in self.add_hosts)


def _rlim(value: int) -> int:
    return 2**64 - 1 if value < 0 else value  # RLIM_INFINITY as config.json writes it


def parse_step_settings(params: dict[str, Any], gateway: Callable[[], str]) -> StepSettings:
    """From the build's flags as typed; InvalidArgument names the bad one.
    ``gateway()``: what ``host-gateway`` in --add-host stands for."""
    from hullbox.network.hosts import parse_add_host
    from hullbox.network.ipam import ip_to_int

    settings = StepSettings()
    for value in params.get("add_host") or ():
        try:
            name, address = parse_add_host(value)
        except ValueError:
            raise InvalidArgument(f"invalid --add-host {value!r}: use NAME:IP") from None
        if address == "host-gateway":
            address = gateway()
        elif ":" not in address:
            ip_to_int(address)
        settings.add_hosts.append((name, address))
    settings.cgroup_parent = (params.get("cgroup_parent") or "").strip()
    if ".." in settings.cgroup_parent.split("/"):
        raise InvalidArgument(f"invalid --cgroup-parent {settings.cgroup_parent!r}: "
                              "a path below the cgroup root, without '..'")
    settings.resources = _resources(params)
    settings.ulimits = [parse_ulimit(u) for u in params.get("ulimit") or ()]
    if params.get("shm_size"):
        settings.shm_size = parse_bytes(params["shm_size"], "--shm-size")
        if settings.shm_size <= 0:
            raise InvalidArgument("invalid --shm-size: it must be greater than 0")
    if params.get("security_opt"):
        settings.security = SecuritySettings.parse(security_opt=tuple(params["security_opt"]))
    return settings


def _resources(params: dict[str, Any]) -> dict[str, Any]:
    resources: dict[str, Any] = {}
    memory = parse_bytes(params["memory"], "--memory") if params.get("memory") else 0
    if memory and memory < MIN_MEMORY:
        raise InvalidArgument("invalid --memory: the minimum allowed is 6MB")
    swap_text = params.get("memory_swap")
    if swap_text:
        if not memory:
            raise InvalidArgument("--memory-swap needs --memory; set both")
        swap = -1 if swap_text.strip() == "-1" else parse_bytes(swap_text, "--memory-swap")
        if 0 <= swap < memory:
            raise InvalidArgument("invalid --memory-swap: it counts memory plus swap, so it "
                                  "must be at least --memory (or -1 for unlimited)")
        resources["memory"] = {"limit": memory, "swap": swap}
    elif memory:
        resources["memory"] = {"limit": memory, "swap": 2 * memory}  # docker's default
    cpu: dict[str, Any] = {}
    shares, period, quota = (params.get(k) for k in ("cpu_shares", "cpu_period", "cpu_quota"))
    if shares:
        if shares < 2:
            raise InvalidArgument(f"invalid --cpu-shares {shares}: use 2 to 262144")
        cpu["shares"] = shares
    if period:
        if not 1000 <= period <= 1_000_000:
            raise InvalidArgument("invalid --cpu-period: from 1000 (1ms) to 1000000 (1s)")
        cpu["period"] = period
    if quota:
        if 0 < quota < 1000:
            raise InvalidArgument("invalid --cpu-quota: at least 1000 (1ms), or -1")
        cpu["quota"] = quota
    for flag, key in (("cpuset_cpus", "cpus"), ("cpuset_mems", "mems")):
        if params.get(flag):
            cpu[key] = _cpuset(params[flag], flag.replace("_", "-"))
    if cpu:
        resources["cpu"] = cpu
    return resources


def _cpuset(text: str, flag: str) -> str:
    import re

    if not re.fullmatch(r"\d+(-\d+)?(,\d+(-\d+)?)*", text.strip()):
        raise InvalidArgument(f"invalid --{flag} {text!r}: a list such as 0-2,4")
    if importlib.util.find_spec("hullbox.runtime.cgroup_tuning") is None:
        # the built-in runtime of this version writes no cpuset.* files:
        # refused rather than ignored
        raise InvalidArgument(f"--{flag}: this hullbox's runtime does not set cpusets yet; "
                              "leave it out")
    return text.strip()
