"""The limits of linux.resources beyond memory/cpu quota/shares/pids (which
runtime/cgroups.py writes): cpusets, CPU real-time budget, memory soft limit,
swappiness and OOM-killer switch, block I/O weights and throttles, on cgroup
v1 and v2. ``update`` of a live container writes through here too.

Files are written in the order the kernel accepts them: a real-time budget
needs one in every ancestor first (v1 gives new groups none), memory.limit
may not pass memory.memsw.limit, so the order flips when both grow.
"""

from __future__ import annotations

import errno
import os

from hullbox.runtime.cgroups import _read, _write  # one way to touch a cgroup file

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from hullbox.runtime.cgroups import Cgroup

_THROTTLE_V1 = {"throttleReadBpsDevice": "blkio.throttle.read_bps_device",
                "throttleWriteBpsDevice": "blkio.throttle.write_bps_device",
                "throttleReadIOPSDevice": "blkio.throttle.read_iops_device",
                "throttleWriteIOPSDevice": "blkio.throttle.write_iops_device"}
_THROTTLE_V2 = {"throttleReadBpsDevice": "rbps", "throttleWriteBpsDevice": "wbps",
                "throttleReadIOPSDevice": "riops", "throttleWriteIOPSDevice": "wiops"}


def _first(dirs: dict[str, str], controller: str) -> str | None:
    return next((d for n, d in dirs.items() if controller in n.split(",")), None)


def _either(directory: str, *names: str) -> str:
    """The first of ``names`` that exists in ``directory`` (blkio.weight or bfq's)."""
    for name in names:
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    return os.path.join(directory, names[0])


def wants_tuning(raw: dict[str, Any]) -> bool:
    """Whether linux.resources holds anything this module writes."""
    cpu, mem = raw.get("cpu") or {}, raw.get("memory") or {}
    return bool(raw.get("blockIO") or {k: v for k, v in cpu.items()
                                         if k not in ("shares", "quota", "period")}
                or {k: v for k, v in mem.items() if k not in ("limit", "swap")})


def tune(cgroup: Cgroup, raw: dict[str, Any]) -> None:
    """At create: the limits runtime/cgroups.py does not write."""
    if not wants_tuning(raw):
        return
    if cgroup.v2:
        tune_v2(cgroup.dirs[""], raw)
    else:
        tune_v1(cgroup.dirs, raw, cgroup.root)


def tune_v1(dirs: dict[str, str], raw: dict[str, Any], root: str) -> None:
    cpu, mem, block_io = raw.get("cpu") or {}, raw.get("memory") or {}, raw.get("blockIO") or {}
    cpuset = _first(dirs, "cpuset")
    if cpuset is not None:
        for key in ("cpus", "mems"):
            if cpu.get(key):
                _write(os.path.join(cpuset, f"cpuset.{key}"), str(cpu[key]))
    cpu_dir = _first(dirs, "cpu")
    if cpu_dir is not None:
        if cpu.get("realtimePeriod"):
            _write(os.path.join(cpu_dir, "cpu.rt_period_us"), str(cpu["realtimePeriod"]))
        if cpu.get("realtimeRuntime"):
            _grant_realtime(cpu_dir, int(cpu["realtimeRuntime"]), root)
            _write(os.path.join(cpu_dir, "cpu.rt_runtime_us"), str(cpu["realtimeRuntime"]))
    memory = _first(dirs, "memory")
    if memory is not None:
        if mem.get("reservation"):
            _write(os.path.join(memory, "memory.soft_limit_in_bytes"), str(mem["reservation"]))
        if mem.get("swappiness") is not None:
            _write(os.path.join(memory, "memory.swappiness"), str(mem["swappiness"]))
        if mem.get("disableOOMKiller"):
            _write(os.path.join(memory, "memory.oom_control"), "1")
    blkio = _first(dirs, "blkio")
    if blkio is not None and block_io:
        if block_io.get("weight"):
            _write(_either(blkio, "blkio.weight", "blkio.bfq.weight"), str(block_io["weight"]))
        for entry in block_io.get("weightDevice") or ():
            _write(_either(blkio, "blkio.weight_device", "blkio.bfq.weight_device"),
                   f"{entry['major']}:{entry['minor']} {entry['weight']}")
        for key, name in _THROTTLE_V1.items():
            for entry in block_io.get(key) or ():
                _write(os.path.join(blkio, name),
                       f"{entry['major']}:{entry['minor']} {entry['rate']}")


def _grant_realtime(directory: str, runtime: int, root: str) -> None:
    """cgroup v1 starts every group with no real-time budget, and the
    children of a group may together have no larger share of each period
    than it has: give each ancestor below the hierarchy's root the share its
    other children hold plus this container's (dockerd sets its parent's)."""
    hierarchy = next((os.path.join(root, e) for e in os.listdir(root)
                      if directory.startswith(os.path.join(root, e) + "/")), None)
    if hierarchy is None:
        return
    parts = os.path.relpath(directory, hierarchy).split("/")
    path, chain = hierarchy, []
    for part in parts:
        path = os.path.join(path, part)
        chain.append(path)
    needed = runtime / int(_read(os.path.join(directory, "cpu.rt_period_us")))
    grants = []
    for child, ancestor in zip(reversed(chain), reversed(chain[:-1]), strict=False):
        needed += sum(_share(os.path.join(ancestor, e.name)) for e in os.scandir(ancestor)
                      if e.is_dir() and e.path != child)
        grants.append((ancestor, needed))
    for ancestor, share in reversed(grants):
        budget = os.path.join(ancestor, "cpu.rt_runtime_us")
        period = int(_read(os.path.join(ancestor, "cpu.rt_period_us")))
        want = -(-int(share * period * 1000) // 1000)
        if int(_read(budget)) < want:
            _write(budget, str(want))


def _share(directory: str) -> float:
    """A group's real-time share of its period."""
    try:
        runtime = int(_read(os.path.join(directory, "cpu.rt_runtime_us")))
        return max(runtime, 0) / int(_read(os.path.join(directory, "cpu.rt_period_us")))
    except (OSError, ValueError, ZeroDivisionError):
        return 0.0


def blkio_to_io_weight(weight: int) -> int:
    """blkio weight 10..1000 -> io.weight 1..10000, as runc converts it."""
    return 1 + (weight - 10) * 9999 // 990


def tune_v2(directory: str, raw: dict[str, Any]) -> None:
    cpu, mem, block_io = raw.get("cpu") or {}, raw.get("memory") or {}, raw.get("blockIO") or {}
    for key in ("cpus", "mems"):
        if cpu.get(key):
            _write(os.path.join(directory, f"cpuset.{key}"), str(cpu[key]))
    if mem.get("reservation"):
        _write(os.path.join(directory, "memory.low"), str(mem["reservation"]))
    if block_io.get("weight"):
        _write(_either(directory, "io.bfq.weight", "io.weight"),
               str(blkio_to_io_weight(int(block_io["weight"]))))
    for entry in block_io.get("weightDevice") or ():
        _write(_either(directory, "io.bfq.weight", "io.weight"),
               f"{entry['major']}:{entry['minor']} {blkio_to_io_weight(int(entry['weight']))}")
    for key, name in _THROTTLE_V2.items():
        for entry in block_io.get(key) or ():
            _write(os.path.join(directory, "io.max"),
                   f"{entry['major']}:{entry['minor']} {name}={entry['rate']}")


def write_memory_v1(directory: str, limit: int | None, swap: int | None) -> None:
    """memory.limit then memsw, or the other way round when the new limit
    passes the current memsw (the kernel keeps memsw >= limit at all times)."""
    files = [("memory.limit_in_bytes", limit), ("memory.memsw.limit_in_bytes", swap)]
    todo = [(os.path.join(directory, n), v) for n, v in files
            if v is not None and os.path.exists(os.path.join(directory, n))]
    try:
        for path, value in todo:
            _write(path, str(value))
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise
        for path, value in reversed(todo):
            _write(path, str(value))


def update_live(cgroup: Cgroup, raw: dict[str, Any]) -> None:
    """Write the limits of ``raw`` (a linux.resources) into a live cgroup."""
    from hullbox.oci.runtime_spec import Resources
    from hullbox.runtime.cgroups import _apply_v2

    cpu, mem = raw.get("cpu") or {}, raw.get("memory") or {}
    pids = (raw.get("pids") or {}).get("limit")
    if cgroup.v2:
        _apply_v2(cgroup.dirs[""], Resources(
            memory_limit=mem.get("limit"), memory_swap=mem.get("swap"),
            cpu_shares=cpu.get("shares"), cpu_quota=cpu.get("quota"),
            cpu_period=cpu.get("period"), pids_limit=pids))
        tune_v2(cgroup.dirs[""], raw)
        return
    memory = _first(cgroup.dirs, "memory")
    if memory is not None:
        write_memory_v1(memory, mem.get("limit"), mem.get("swap"))
    cpu_dir = _first(cgroup.dirs, "cpu")
    if cpu_dir is not None:
        for key, name in (("shares", "cpu.shares"), ("period", "cpu.cfs_period_us"),
                          ("quota", "cpu.cfs_quota_us")):
            if cpu.get(key) is not None:
                _write(os.path.join(cpu_dir, name), str(cpu[key]))
    pids_dir = _first(cgroup.dirs, "pids")
    if pids_dir is not None and pids is not None:
        _write(os.path.join(pids_dir, "pids.max"), "max" if pids <= 0 else str(pids))
    tune_v1(cgroup.dirs, raw, cgroup.root)
