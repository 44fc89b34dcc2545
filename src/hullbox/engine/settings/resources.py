"""Resource controls beyond --memory/--cpus/--pids-limit: CPU shares, quota
and real-time budget, cpusets, swap, soft limit, swappiness, the OOM killer,
block I/O weights and throttles, device cgroup rules and the cgroup parent.

Validation follows dockerd's verifyPlatformContainerResources: the same
ranges, the same conflicts, refused in one line before anything is made.
What the host cannot do (no RT group scheduling, no blkio weight) is checked
against the running kernel in engine/resource_host.py.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from hullbox.engine.units import parse_bytes
from hullbox.errors import InvalidArgument

MIN_MEMORY = 6 * 1024 * 1024
MIN_CPU_SHARES, MAX_CPU_SHARES = 2, 262144
_DEVICE_RULE = re.compile(r"^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$")
_CPUSET = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")
#: the throttle flags: stored field -> (flag, whether the rate is a size)
THROTTLES = {
    "device_read_bps": ("--device-read-bps", True),
    "device_write_bps": ("--device-write-bps", True),
    "device_read_iops": ("--device-read-iops", False),
    "device_write_iops": ("--device-write-iops", False),
}


@dataclass
class ResourceSettings:
    """Stored with the container (inside ContainerOptions); ``update`` changes
    some of them. Zero/empty means "not set", as in Docker's HostConfig."""

    cpu_shares: int = 0
    cpu_period: int = 0
    cpu_quota: int = 0
    cpu_rt_period: int = 0
    cpu_rt_runtime: int = 0
    cpuset_cpus: str = ""
    cpuset_mems: str = ""
    cpu_count: int = 0            # Windows only: kept for inspect, as docker does
    memory_swap: int = 0          # memory + swap; -1 unlimited; 0: twice --memory
    memory_reservation: int = 0
    memory_swappiness: int | None = None
    oom_kill_disable: bool = False
    oom_score_adj: int = 0
    cgroup_parent: str = ""
    device_cgroup_rules: list[str] = field(default_factory=list)
    blkio_weight: int = 0
    blkio_weight_device: list[dict[str, Any]] = field(default_factory=list)  # Path, Weight
    device_read_bps: list[dict[str, Any]] = field(default_factory=list)      # Path, Rate
    device_write_bps: list[dict[str, Any]] = field(default_factory=list)
    device_read_iops: list[dict[str, Any]] = field(default_factory=list)
    device_write_iops: list[dict[str, Any]] = field(default_factory=list)
    storage_opt: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ResourceSettings:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def has_cgroup_limits(self) -> bool:
        """Whether any limit needs the container's cgroup (rootless drops them)."""
        return any((self.cpu_shares, self.cpu_period, self.cpu_quota, self.cpu_rt_period,
                    self.cpu_rt_runtime, self.cpuset_cpus, self.cpuset_mems,
                    self.memory_swap, self.memory_reservation,
                    self.memory_swappiness is not None, self.oom_kill_disable,
                    self.blkio_weight, self.blkio_weight_device,
                    *(getattr(self, name) for name in THROTTLES)))

    @classmethod
    def parse(cls, **typed: Any) -> ResourceSettings:
        """From the flags as typed (strings for sizes, ints for counts)."""
        settings = cls()
        for name in ("cpu_shares", "cpu_period", "cpu_quota", "cpu_rt_period",
                     "cpu_rt_runtime", "cpu_count", "blkio_weight", "oom_score_adj"):
            if typed.get(name) is not None:
                setattr(settings, name, int(typed[name]))
        settings.cpuset_cpus = _cpuset(typed.get("cpuset_cpus"), "cpus")
        settings.cpuset_mems = _cpuset(typed.get("cpuset_mems"), "mems")
        swap = typed.get("memory_swap")
        if swap is not None and swap != "":
            settings.memory_swap = -1 if str(swap).strip() == "-1" else parse_bytes(
                swap, "--memory-swap")
        if typed.get("memory_reservation") not in (None, ""):
            settings.memory_reservation = parse_bytes(typed["memory_reservation"],
                                                      "--memory-reservation")
        swappiness = typed.get("memory_swappiness")
        if swappiness is not None and int(swappiness) != -1:  # -1: the host's, as docker
            settings.memory_swappiness = int(swappiness)
        settings.oom_kill_disable = bool(typed.get("oom_kill_disable"))
        settings.cgroup_parent = (typed.get("cgroup_parent") or "").strip()
        if ".." in settings.cgroup_parent.split("/"):
            raise InvalidArgument(f"invalid --cgroup-parent {settings.cgroup_parent!r}: a "
                                  "cgroup path under the hierarchy's root, without '..'")
        settings.device_cgroup_rules = [_device_rule(r) for r in
                                        typed.get("device_cgroup_rules") or ()]
        settings.blkio_weight_device = [_weight_device(v) for v in
                                        typed.get("blkio_weight_device") or ()]
        for name, (flag, sized) in THROTTLES.items():
            setattr(settings, name, [_throttle(v, flag, sized) for v in typed.get(name) or ()])
        settings.storage_opt = _storage_opts(typed.get("storage_opt") or ())
        settings.cpu_shares = _clamped_shares(settings.cpu_shares)
        settings.check_ranges()
        return settings

    def check_ranges(self) -> None:
        """dockerd's checks that need nothing but the values themselves."""
        if self.cpu_period and not 1000 <= self.cpu_period <= 1_000_000:
            raise InvalidArgument("invalid --cpu-period: CPU cfs period can not be less than "
                                  "1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")
        if 0 < self.cpu_quota < 1000:
            raise InvalidArgument("invalid --cpu-quota: CPU cfs quota can not be less than "
                                  "1ms (i.e. 1000)")
        if self.cpu_rt_period and self.cpu_rt_runtime > self.cpu_rt_period:
            raise InvalidArgument("invalid --cpu-rt-runtime: cpu-rt-runtime cannot be higher "
                                  "than cpu-rt-period")
        if self.blkio_weight and not 10 <= self.blkio_weight <= 1000:
            raise InvalidArgument(f"invalid --blkio-weight {self.blkio_weight}: range of blkio "
                                  "weight is from 10 to 1000 (0 leaves it unset)")
        if self.memory_swappiness is not None and not 0 <= self.memory_swappiness <= 100:
            raise InvalidArgument(f"invalid --memory-swappiness {self.memory_swappiness}: "
                                  "valid memory swappiness range is 0-100 (-1: the host's)")
        if 0 < self.memory_reservation < MIN_MEMORY:
            raise InvalidArgument("invalid --memory-reservation: minimum memory reservation "
                                  "allowed is 6MB")
        if not -1000 <= self.oom_score_adj <= 1000:
            raise InvalidArgument(f"invalid --oom-score-adj {self.oom_score_adj}: range for "
                                  "oom score adj is [-1000, 1000]")

    def validate(self, memory: int, nano_cpus: int) -> None:
        """At create, once --memory and --cpus are known: the cross checks,
        then what this host's kernel can do."""
        self.check_with_memory(memory, nano_cpus)
        from hullbox.engine.resource_host import check_host

        check_host(self, memory)

    def check_with_memory(self, memory: int, nano_cpus: int, *, update: bool = False) -> None:
        """The checks that involve --memory and --cpus too."""
        if memory and self.memory_swap > 0 and self.memory_swap < memory:
            raise InvalidArgument("invalid --memory-swap: minimum memoryswap limit should be "
                                  "larger than memory limit (--memory), see usage")
        if not memory and self.memory_swap > 0 and not update:
            raise InvalidArgument("invalid --memory-swap: you should always set the memory "
                                  "limit (--memory) when using memoryswap limit, see usage")
        if memory and self.memory_reservation and memory < self.memory_reservation:
            raise InvalidArgument("invalid --memory-reservation: minimum memory limit can not "
                                  "be less than memory reservation limit, see usage")
        if nano_cpus and self.cpu_period:
            raise InvalidArgument("conflicting options: Nano CPUs (--cpus) and CPU Period "
                                  "(--cpu-period) cannot both be set")
        if nano_cpus and self.cpu_quota:
            raise InvalidArgument("conflicting options: Nano CPUs (--cpus) and CPU Quota "
                                  "(--cpu-quota) cannot both be set")


def _clamped_shares(shares: int) -> int:
    """The kernel's range of cpu.shares, as dockerd clamps it (with its warning)."""
    if not shares:
        return 0
    bounded = min(max(shares, MIN_CPU_SHARES), MAX_CPU_SHARES)
    if bounded != shares:
        from hullbox.engine.resource_host import warn

        limit = "minimum" if bounded == MIN_CPU_SHARES else "maximum"
        warn(f"Changing requested CPUShares of {shares} to {limit} allowed of {bounded}")
    return bounded


def _cpuset(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if text and not _CPUSET.match(text):
        raise InvalidArgument(f"invalid --cpuset-{what} {text!r}: invalid value {text} for "
                              f"cpuset {what}: use a list such as 0-3 or 0,1")
    return text


def cpuset_members(text: str) -> set[int]:
    """``0-2,5`` -> {0, 1, 2, 5}."""
    members: set[int] = set()
    for part in filter(None, text.strip().split(",")):
        low, _, high = part.partition("-")
        members.update(range(int(low), int(high or low) + 1))
    return members


def _device_rule(rule: str) -> str:
    if not _DEVICE_RULE.match(rule.strip()):
        raise InvalidArgument(f"invalid --device-cgroup-rule {rule!r}: use 'TYPE MAJOR:MINOR "
                              "ACCESS' such as 'c 1:3 mr' (type a, b or c; * for any number)")
    return rule.strip()


def _split_device(value: str, flag: str) -> tuple[str, str]:
    path, sep, rest = value.rpartition(":")
    if not sep or not path:
        raise InvalidArgument(f"invalid {flag} {value!r}: bad format, use DEVICE_PATH:VALUE "
                              "(e.g. /dev/vda:1mb)")
    if not path.startswith("/dev/"):
        raise InvalidArgument(f"invalid {flag} {value!r}: bad format for path: {path} "
                              "(a device under /dev)")
    return path, rest


def _weight_device(value: str) -> dict[str, Any]:
    path, text = _split_device(value, "--blkio-weight-device")
    if not text.isdigit() or not 10 <= int(text) <= 1000:
        raise InvalidArgument(f"invalid --blkio-weight-device {value!r}: invalid weight for "
                              "device: use 10 to 1000")
    return {"Path": path, "Weight": int(text)}


def _throttle(value: str, flag: str, sized: bool) -> dict[str, Any]:
    path, text = _split_device(value, flag)
    try:
        rate = parse_bytes(text, flag) if sized else int(text)
    except (InvalidArgument, ValueError):
        unit = "[<unit>]. Unit is optional and can be kb, mb, or gb" if sized else ""
        raise InvalidArgument(f"invalid {flag} {value!r}: invalid rate for device: the "
                              f"correct format is <device-path>:<number>{unit}") from None
    if rate < 0:
        raise InvalidArgument(f"invalid {flag} {value!r}: the rate must be a positive number")
    return {"Path": path, "Rate": rate}


def _storage_opts(values: Any) -> dict[str, str]:
    opts: dict[str, str] = {}
    for value in values:
        key, sep, text = str(value).partition("=")
        if not sep or not key:
            raise InvalidArgument(f"invalid --storage-opt {value!r}: use KEY=VALUE "
                                  "(e.g. size=10G)")
        opts[key.strip().lower()] = text.strip()
    return opts
