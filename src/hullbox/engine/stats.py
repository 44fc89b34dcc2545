"""``stats``: resource use of running containers, read from their cgroups
(v1 and v2) and, for network traffic, from their network namespace.

CPU % is the CPU time used between two readings over the wall time between
them (100% is one CPU busy), which is what Docker's formula gives.
"""

from __future__ import annotations

import builtins
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hullbox.engine.pause import cgroup_path
from hullbox.errors import HullboxError
from hullbox.store.containers import RUNNING, ContainerRecord

if TYPE_CHECKING:
    from hullbox.engine.containers import ContainerService
    from hullbox.runtime.cgroups import Cgroup

INTERVAL = 1.0


@dataclass
class Reading:
    """Raw counters of one container at one moment."""

    cpu_ns: int
    mem_usage: int
    mem_limit: int
    net: tuple[int, int] | None  # rx, tx bytes; None without a network of its own
    block: tuple[int, int]  # read, written bytes
    pids: int
    at: float


@dataclass
class StatsSample:
    """One line of ``docker stats``."""

    id: str
    name: str
    cpu_percent: float
    mem_usage: int
    mem_limit: int
    mem_percent: float
    net: tuple[int, int] | None
    block: tuple[int, int]
    pids: int


def _read(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return ""


def _keyed(text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if value.strip().lstrip("-").isdigit():
            out[key] = int(value)
    return out


def _int(text: str) -> int:
    text = text.strip()
    return int(text) if text.isdigit() else 0


def _host_memory() -> int:
    for line in _read("/proc/meminfo").splitlines():
        words = line.split()
        if words[:1] == ["MemTotal:"] and len(words) >= 2:
            return int(words[1]) * 1024
    return 0


def _dir(cgroup: Cgroup, controller: str) -> str:
    if cgroup.v2:
        return cgroup.dirs[""]
    return next((d for n, d in cgroup.dirs.items() if controller in n.split(",")), "")


def _memory(cgroup: Cgroup) -> tuple[int, int]:
    """Usage without the inactive page cache (as the docker CLI counts it), and the limit."""
    directory = _dir(cgroup, "memory")
    if cgroup.v2:
        usage = _int(_read(os.path.join(directory, "memory.current")))
        inactive = _keyed(_read(os.path.join(directory, "memory.stat"))).get("inactive_file", 0)
        limit = _int(_read(os.path.join(directory, "memory.max")))  # "max" reads as 0
    else:
        usage = _int(_read(os.path.join(directory, "memory.usage_in_bytes")))
        inactive = _keyed(_read(os.path.join(directory, "memory.stat"))).get(
            "total_inactive_file", 0)
        limit = _int(_read(os.path.join(directory, "memory.limit_in_bytes")))
    host = _host_memory()
    if not limit or limit > host:
        limit = host  # no limit: the machine's memory is the limit
    return max(usage - inactive, 0) if inactive < usage else usage, limit


def _cpu_ns(cgroup: Cgroup) -> int:
    if cgroup.v2:
        return _keyed(_read(os.path.join(cgroup.dirs[""], "cpu.stat"))).get("usage_usec", 0) * 1000
    return _int(_read(os.path.join(_dir(cgroup, "cpuacct"), "cpuacct.usage")))


def _block(cgroup: Cgroup) -> tuple[int, int]:
    read = written = 0
    if cgroup.v2:
        for line in _read(os.path.join(cgroup.dirs[""], "io.stat")).splitlines():
            for item in line.split()[1:]:
                key, _, value = item.partition("=")
                read += int(value) if key == "rbytes" else 0
                written += int(value) if key == "wbytes" else 0
        return read, written
    text = _read(os.path.join(_dir(cgroup, "blkio"), "blkio.throttle.io_service_bytes"))
    for line in text.splitlines():
        words = line.split()
        if len(words) == 3:
            read += int(words[2]) if words[1] == "Read" else 0
            written += int(words[2]) if words[1] == "Write" else 0
    return read, written


def _network(pid: int) -> tuple[int, int] | None:
    """Bytes received and sent on the container's interfaces other than lo;
    None when it shares the host's network or has no interface but lo."""
    try:
        if os.stat(f"/proc/{pid}/ns/net").st_ino == os.stat("/proc/self/ns/net").st_ino:
            return None
    except OSError:
        return None
    rx = tx = 0
    found = False
    for line in _read(f"/proc/{pid}/net/dev").splitlines()[2:]:
        name, _, counters = line.partition(":")
        if name.strip() == "lo":
            continue
        values = counters.split()
        if len(values) >= 9:
            found = True
            rx, tx = rx + int(values[0]), tx + int(values[8])
    return (rx, tx) if found else None


def read_counters(record: ContainerRecord) -> Reading:
    """The container's counters now."""
    from hullbox.runtime.cgroups import open_cgroup

    cgroup = open_cgroup(cgroup_path(record.id))
    usage, limit = _memory(cgroup)
    pids_dir = _dir(cgroup, "pids")
    reading = Reading(_cpu_ns(cgroup), usage, limit, _network(record.pid), _block(cgroup),
                      _int(_read(os.path.join(pids_dir, "pids.current"))), time.monotonic())
    memory_dir = _dir(cgroup, "memory")
    if not memory_dir or not os.path.exists(os.path.join(
            memory_dir, "memory.current" if cgroup.v2 else "memory.usage_in_bytes")):
        # rootless without the memory controller: what its processes use
        from hullbox.engine.proc_usage import process_usage
        from hullbox.engine.top import container_pids

        reading.cpu_ns, reading.mem_usage, reading.pids = process_usage(
            container_pids(record.id, record.pid))
    return reading


def sample(record: ContainerRecord, before: Reading | None, now: Reading) -> StatsSample:
    """A stats line from two readings (CPU % is 0 without an earlier one)."""
    cpu = 0.0
    if before is not None and now.at > before.at:
        cpu = max(now.cpu_ns - before.cpu_ns, 0) / ((now.at - before.at) * 1e9) * 100
    mem_percent = now.mem_usage / now.mem_limit * 100 if now.mem_limit else 0.0
    return StatsSample(record.id, record.name, cpu, now.mem_usage, now.mem_limit, mem_percent,
                       now.net, now.block, now.pids)


def _targets(containers: ContainerService, names: builtins.list[str] | None,
             all: bool) -> builtins.list[ContainerRecord]:
    if names:
        return [containers.get(name) for name in names]
    return containers.list(all=all)


def sample_forever(containers: ContainerService, names: builtins.list[str] | None, *,
                   all: bool = False) -> Iterator[builtins.list[StatsSample]]:
    """A list of samples every INTERVAL seconds, the first after one interval
    (CPU % needs two readings). Named containers that stop show zeros, as in
    Docker; without names the list follows the containers that run."""
    previous: dict[str, Reading] = {}
    records = _targets(containers, names, all)
    for record in records:
        if record.state == RUNNING:
            previous[record.id] = read_counters(record)
    while True:
        time.sleep(INTERVAL)
        if not names:
            records = _targets(containers, names, all)
        samples = []
        for record in records:
            try:
                record = containers.get(record.id)
            except HullboxError:
                continue  # removed meanwhile
            if record.state != RUNNING:
                samples.append(StatsSample(record.id, record.name, 0.0, 0, 0, 0.0, None,
                                           (0, 0), 0))
                continue
            now = read_counters(record)
            samples.append(sample(record, previous.get(record.id), now))
            previous[record.id] = now
        yield samples
