"""Container cgroups, v1 (one hierarchy per controller) and v2 (unified).

A hybrid host (v1 controllers plus an empty cgroup2 at /sys/fs/cgroup/unified)
is treated as v1; the unified dir is joined like any other hierarchy so that
the container's processes stay together there too.

The parent creates the cgroup and writes the limits before forking. The child
is moved in before it unshares its cgroup namespace, so that the namespace is
rooted at its own group: by the parent while the child makes its mounts
(runtime/spawn.py), or, when the child forks PID 1 in a user namespace, by the
child writing 0 to the cgroup.procs files it inherited open.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time

# Paths are plain strings (os.path), not pathlib: this module is on every run's
# import path and pathlib costs ~5 ms to import.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from hullbox.oci.runtime_spec import DeviceRule, Resources

CGROUP_ROOT = "/sys/fs/cgroup"


def is_v2(root: str = CGROUP_ROOT) -> bool:
    """True when ``root`` is a pure cgroup v2 mount."""
    return os.path.exists(os.path.join(root, "cgroup.controllers"))


def _write(path: str, value: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def _read(path: str) -> str:
    with open(path) as f:
        return f.read()


def _hierarchies(root: str) -> list[str]:
    """The v1 hierarchy mount points under ``root`` (cpu,cpuacct style symlinks skipped)."""
    return sorted(e.path for e in os.scandir(root) if e.is_dir(follow_symlinks=False))


def _mkdirs(base: str, relative: str, *, cpuset: bool) -> list[str]:
    """Create base/relative level by level; return the dirs created (outermost first)."""
    created = []
    path = base
    for part in [p for p in relative.split("/") if p]:
        parent, path = path, os.path.join(path, part)
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        created.append(path)
        if cpuset:  # a new cpuset group is empty and refuses tasks until given cpus/mems
            for name in ("cpuset.cpus", "cpuset.mems"):
                _write(os.path.join(path, name),
                       _read(os.path.join(parent, name)).strip() or "\n")
    return created


def _device_rule_v1(rule: DeviceRule) -> str:
    if rule.type == "a":
        return f"a *:* {rule.access}"
    major = "*" if rule.major is None or rule.major < 0 else str(rule.major)
    minor = "*" if rule.minor is None or rule.minor < 0 else str(rule.minor)
    return f"{rule.type} {major}:{minor} {rule.access}"


def shares_to_weight(shares: int) -> int:
    """cgroup v1 cpu.shares -> v2 cpu.weight, the conversion runc and crun use."""
    return 1 + ((shares - 2) * 9999) // 262142 if shares >= 2 else 1


class Cgroup:
    """A container's cgroup: one dir per hierarchy (v1) or one dir (v2)."""

    __slots__ = ("dirs", "path", "root", "v2")

    def __init__(self, path: str, v2: bool, dirs: dict[str, str] | None = None,
                 root: str = CGROUP_ROOT) -> None:
        self.path = path
        self.v2 = v2
        self.dirs = {} if dirs is None else dirs  # hierarchy name -> dir
        self.root = root

    def procs_files(self) -> list[str]:
        """The cgroup.procs files a process writes 0 to in order to join."""
        return [os.path.join(d, "cgroup.procs") for d in self.dirs.values()]

    def oom_killed(self) -> bool:
        """Whether the kernel's OOM killer killed a process in this cgroup."""
        if self.v2:
            events = os.path.join(self.dirs[""], "memory.events")
        elif "memory" in self.dirs:
            events = os.path.join(self.dirs["memory"], "memory.oom_control")
        else:
            return False
        try:
            text = _read(events)
        except OSError:
            return False
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and int(value) > 0:
                return True
        return False

    def destroy(self, timeout: float = 1.0) -> None:
        """Remove the container's dirs (not shared parents); retry while the kernel is busy."""
        deadline = time.monotonic() + timeout
        for d in self.dirs.values():
            while True:
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    # EBUSY until the dying tasks are gone from the group.
                    if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                        raise
                    time.sleep(0.005)


def open_cgroup(path: str, root: str = CGROUP_ROOT) -> Cgroup:
    """The Cgroup object for an existing (or to be created) cgroups path, without
    touching it; an absolute dir under ``root`` is a v2 cgroup of its own."""
    if path.startswith(root + "/"):  # a delegated cgroup (runtime/cgroup_delegation.py)
        return Cgroup(path, True, {"": path}, root)
    v2 = is_v2(root)
    relative = path.strip("/")
    if v2:
        return Cgroup(path, True, {"": os.path.join(root, relative)}, root)
    return Cgroup(path, False, {os.path.basename(h): os.path.join(h, relative)
                                for h in _hierarchies(root)}, root)


def create_cgroup(path: str, resources: Resources, root: str = CGROUP_ROOT) -> Cgroup:
    """Create the cgroup ``path`` (e.g. ``/hullbox/<id>``) and apply ``resources``."""
    cgroup = open_cgroup(path, root)
    relative = path.strip("/")
    created: list[str] = []
    try:
        if cgroup.v2:
            created += _mkdirs_v2(root, relative)
            _apply_v2(cgroup.dirs[""], resources)
        else:
            for h in _hierarchies(root):
                created += _mkdirs(h, relative,
                                   cpuset="cpuset" in os.path.basename(h).split(","))
            _apply_v1(cgroup.dirs, resources)
        from hullbox.runtime.cgroup_tuning import tune

        tune(cgroup, resources.raw)
    except BaseException:
        for d in reversed(created):
            with contextlib.suppress(OSError):
                os.rmdir(d)
        raise
    return cgroup


def _mkdirs_v2(root: str, relative: str) -> list[str]:
    """Create root/relative, enabling in each parent every controller it has for its children."""
    created = []
    d = root
    for part in [p for p in relative.split("/") if p]:
        available = _read(os.path.join(d, "cgroup.controllers")).split()
        enabled = _read(os.path.join(d, "cgroup.subtree_control")).split()
        for controller in available:
            if controller not in enabled:
                # e.g. cpu while realtime tasks exist: limits on it fail later
                with contextlib.suppress(OSError):
                    _write(os.path.join(d, "cgroup.subtree_control"), f"+{controller}")
        d = os.path.join(d, part)
        try:
            os.mkdir(d)
            created.append(d)
        except FileExistsError:
            pass
    return created


def _apply_v1(dirs: dict[str, str], res: Resources) -> None:
    def first(controller: str) -> str | None:
        return next((d for n, d in dirs.items() if controller in n.split(",")), None)

    mem = first("memory")
    if mem is not None and res.memory_limit is not None:
        _write(os.path.join(mem, "memory.limit_in_bytes"), str(res.memory_limit))
        memsw = os.path.join(mem, "memory.memsw.limit_in_bytes")
        if res.memory_swap is not None and os.path.exists(memsw):
            _write(memsw, str(res.memory_swap))
    cpu = first("cpu")
    if cpu is not None:
        if res.cpu_shares is not None:
            _write(os.path.join(cpu, "cpu.shares"), str(res.cpu_shares))
        if res.cpu_period is not None:
            _write(os.path.join(cpu, "cpu.cfs_period_us"), str(res.cpu_period))
        if res.cpu_quota is not None:
            _write(os.path.join(cpu, "cpu.cfs_quota_us"), str(res.cpu_quota))
    pids = first("pids")
    if pids is not None and res.pids_limit is not None:
        _write(os.path.join(pids, "pids.max"),
               "max" if res.pids_limit <= 0 else str(res.pids_limit))
    devices = first("devices")
    if devices is not None:
        for rule in res.devices:
            _write(os.path.join(devices, "devices.allow" if rule.allow else "devices.deny"),
                   _device_rule_v1(rule))


def _apply_v2(d: str, res: Resources) -> None:
    if res.memory_limit is not None:
        _write(os.path.join(d, "memory.max"), str(res.memory_limit))
        swap_max = os.path.join(d, "memory.swap.max")
        if res.memory_swap is not None and os.path.exists(swap_max):
            # v1's memsw counts memory+swap; v2's swap.max counts swap alone.
            swap = "max" if res.memory_swap < 0 else str(max(res.memory_swap
                                                             - res.memory_limit, 0))
            _write(swap_max, swap)
    if res.cpu_shares is not None:
        _write(os.path.join(d, "cpu.weight"), str(shares_to_weight(res.cpu_shares)))
    if res.cpu_quota is not None or res.cpu_period is not None:
        quota = "max" if res.cpu_quota is None or res.cpu_quota < 0 else str(res.cpu_quota)
        _write(os.path.join(d, "cpu.max"), f"{quota} {res.cpu_period or 100000}")
    if res.pids_limit is not None:
        _write(os.path.join(d, "pids.max"),
               "max" if res.pids_limit <= 0 else str(res.pids_limit))
