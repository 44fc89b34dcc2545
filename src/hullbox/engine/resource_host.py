"""What this host's kernel lets the resource flags do, checked at create (and
``update``) so that a flag the kernel cannot honour is refused in one line
before anything is made, where dockerd refuses it, or warned about and
dropped where dockerd drops it."""

from __future__ import annotations

import os
import stat
import sys
from typing import Any

from hullbox.engine.settings.resources import THROTTLES, ResourceSettings, cpuset_members
from hullbox.errors import InvalidArgument

CGROUP_ROOT = "/sys/fs/cgroup"
CAP_SYS_RESOURCE = 24


def _v2() -> bool:
    from hullbox.runtime.cgroups import is_v2

    return is_v2(CGROUP_ROOT)


def _controller_dir(controller: str) -> str | None:
    """The v1 hierarchy of ``controller`` (None on v2 or when not mounted)."""
    for name in (controller, f"{controller},cpuacct", f"cpu,{controller}"):
        path = os.path.join(CGROUP_ROOT, name)
        if os.path.isdir(path):
            return path
    return None


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def warn(message: str) -> None:
    sys.stderr.write(f"WARNING: {message}\n")


def refuse_unsupported(*, gpus: str | None = None, io_max: bool = False,
                       cpu_percent: Any = None, kernel_memory: Any = None) -> None:
    """What docker on Linux refuses or drops whatever the host: --gpus
    without a GPU driver, the Windows-only IO maxima (refused); --cpu-percent
    and --kernel-memory (dropped with docker's warnings)."""
    if gpus:
        raise InvalidArgument(f"--gpus {gpus}: could not select device driver \"\" with "
                              "capabilities: [[gpu]]: hullbox has no GPU support")
    if io_max:
        raise InvalidArgument("--io-maxbandwidth/--io-maxiops: invalid QoS settings: linux "
                              "does not support Maximum IO Bandwidth or Maximum IO IOps")
    if cpu_percent:
        warn("linux does not support CPU percent. Percent discarded.")
    if kernel_memory not in (None, "", "0"):
        warn("Specifying a kernel memory limit is deprecated and will be removed in a future "
             "release.")


def available_cpus() -> str:
    """The CPUs a container may be given (docker's sysinfo.Cpus)."""
    if _v2():
        return _read(os.path.join(CGROUP_ROOT, "cpuset.cpus.effective"))
    cpuset = _controller_dir("cpuset")
    return _read(os.path.join(cpuset, "cpuset.cpus")) if cpuset else ""


def available_mems() -> str:
    if _v2():
        return _read(os.path.join(CGROUP_ROOT, "cpuset.mems.effective"))
    cpuset = _controller_dir("cpuset")
    return _read(os.path.join(cpuset, "cpuset.mems")) if cpuset else ""


def realtime_supported() -> bool:
    """RT group scheduling (CONFIG_RT_GROUP_SCHED): cpu.rt_runtime_us on v1; v2 has none."""
    cpu = None if _v2() else _controller_dir("cpu")
    return cpu is not None and os.path.exists(os.path.join(cpu, "cpu.rt_runtime_us"))


def _blkio_has(*names: str) -> bool:
    """Whether the block I/O controller has one of these files (bfq's show
    at the root only as statistics, so those stand for the policy)."""
    if _v2():
        root_controllers = _read(os.path.join(CGROUP_ROOT, "cgroup.controllers")).split()
        return "io" in root_controllers
    blkio = _controller_dir("blkio")
    return blkio is not None and any(os.path.exists(os.path.join(blkio, n)) for n in names)


def weight_supported() -> bool:
    return _blkio_has("blkio.weight", "blkio.bfq.io_service_bytes")


def device_numbers(path: str, flag: str) -> tuple[int, int]:
    """(major, minor) of the block device ``path``; one line when it is none."""
    try:
        info = os.stat(path)
    except OSError as exc:
        reason = (exc.strerror or "cannot stat it").lower()
        raise InvalidArgument(f"invalid {flag} {path}: {reason}") from None
    if not stat.S_ISBLK(info.st_mode):
        raise InvalidArgument(f"invalid {flag} {path}: not a block device")
    return os.major(info.st_rdev), os.minor(info.st_rdev)


def _scheduler(major: int, minor: int) -> str:
    """The I/O scheduler in use on a disk (its partition's parent for a partition)."""
    base = os.path.realpath(f"/sys/dev/block/{major}:{minor}")
    for directory in (base, os.path.dirname(base)):
        text = _read(os.path.join(directory, "queue", "scheduler"))
        if text:
            return next((w[1:-1] for w in text.split() if w.startswith("[")), text)
    return ""


def _may_lower_oom_score() -> bool:
    for line in _read("/proc/self/status").splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) >> CAP_SYS_RESOURCE & 1)
    return False


def check_host(settings: ResourceSettings, memory: int) -> None:
    """Refuse (InvalidArgument) or warn and drop what the kernel cannot do."""
    _drop_in_rootless_mode(settings)
    check_update(settings)
    for entry in settings.blkio_weight_device:
        _check_weight_device(entry["Path"])
    for name, (flag, _) in THROTTLES.items():
        for entry in getattr(settings, name):
            device_numbers(entry["Path"], flag)
            if not _blkio_has("blkio.throttle.read_bps_device"):
                raise InvalidArgument(f"{flag}: your kernel does not support block I/O "
                                      "throttling or the blkio cgroup is not mounted")
    adj = settings.oom_score_adj
    if adj < 0 and adj < int(_read("/proc/self/oom_score_adj") or 0) \
            and not _may_lower_oom_score():
        raise InvalidArgument(f"--oom-score-adj {adj}: lowering the OOM score needs "
                              "CAP_SYS_RESOURCE, which hullbox does not have here; use 0 to "
                              "1000")
    _check_storage_opts(settings.storage_opt)
    if _v2():
        _drop_v1_only(settings)
    if settings.oom_kill_disable and not memory:
        warn("OOM killer is disabled for the container, but no memory limit is set, this can "
             "result in the system running out of resources.")


def check_update(settings: ResourceSettings) -> None:
    """What ``update`` can change and the kernel may lack."""
    _check_cpusets(settings)
    if (settings.cpu_rt_period or settings.cpu_rt_runtime) and not realtime_supported():
        raise InvalidArgument("--cpu-rt-period/--cpu-rt-runtime: your kernel does not support "
                              "CPU real-time scheduler (no RT group scheduling)")
    if settings.blkio_weight and not weight_supported():
        raise InvalidArgument("--blkio-weight: your kernel does not support Block I/O weight "
                              "or the blkio cgroup is not mounted")
    if settings.cpu_rt_runtime:
        _check_realtime_budget(settings.cpu_rt_runtime, settings.cpu_rt_period or 1_000_000)


def _check_realtime_budget(runtime: int, period: int) -> None:
    """A container cannot get a larger real-time share than the whole host has."""
    cpu = _controller_dir("cpu")
    if cpu is None:
        return
    host_runtime = int(_read(os.path.join(cpu, "cpu.rt_runtime_us")) or -1)
    host_period = int(_read(os.path.join(cpu, "cpu.rt_period_us")) or 1_000_000)
    if host_runtime >= 0 and runtime * host_period > host_runtime * period:
        raise InvalidArgument(f"--cpu-rt-runtime {runtime}: more real-time CPU than the host "
                              f"allows ({host_runtime} of every {host_period} microseconds, "
                              "kernel.sched_rt_runtime_us)")


def _check_storage_opts(opts: dict[str, str]) -> None:
    for key in opts:
        if key != "size":
            raise InvalidArgument(f"--storage-opt {key}: overlay: unknown option {key} "
                                  "(the overlay driver knows only size)")
        raise InvalidArgument("--storage-opt size: supported only for overlay over xfs with "
                              "the 'pquota' mount option, which hullbox's store does not "
                              "use; leave it out")


def _check_cpusets(settings: ResourceSettings) -> None:
    for flag, asked, available in (("--cpuset-cpus", settings.cpuset_cpus, available_cpus),
                                   ("--cpuset-mems", settings.cpuset_mems, available_mems)):
        if not asked:
            continue
        have = available()
        if not cpuset_members(asked) <= cpuset_members(have):
            kind = "CPUs" if flag == "--cpuset-cpus" else "memory nodes"
            raise InvalidArgument(f"{flag} {asked}: requested {kind} are not available - "
                                  f"requested {asked}, available: {have}")


def _check_weight_device(path: str) -> None:
    major, minor = device_numbers(path, "--blkio-weight-device")
    if _v2() or _blkio_has("blkio.weight_device"):
        return
    scheduler = _scheduler(major, minor)
    if scheduler != "bfq":
        raise InvalidArgument(f"--blkio-weight-device {path}: a per-device weight needs the "
                              f"bfq I/O scheduler, and {path} uses {scheduler or 'none'} "
                              "(as root: echo bfq > /sys/block/DEV/queue/scheduler)")


def _drop_in_rootless_mode(settings: ResourceSettings) -> None:
    """A rootless container gets at most memory, CPU and pids limits (in a
    delegated v2 cgroup, engine/rootless_cgroups.py): the others are dropped
    with one warning, as rootless docker and podman drop what they cannot set."""
    from hullbox.engine.rootless import is_rootless

    if not (settings.has_cgroup_limits or settings.device_cgroup_rules
            or settings.cgroup_parent) or not is_rootless():
        return
    warn("rootless: the cgroup limits other than --memory, --cpus and --pids-limit "
         "(cpu shares and quota, cpusets, swap, block I/O, device rules, cgroup parent) "
         "are ignored: run hullbox as root to apply them")
    kept = ResourceSettings(cpu_count=settings.cpu_count, oom_score_adj=settings.oom_score_adj,
                            storage_opt=settings.storage_opt)
    for name in ResourceSettings.__dataclass_fields__:
        setattr(settings, name, getattr(kept, name))


def _drop_v1_only(settings: ResourceSettings) -> None:
    """cgroup v2 has no per-cgroup swappiness and no OOM-killer switch: dockerd
    drops them with these warnings."""
    if settings.memory_swappiness is not None:
        warn("Your kernel does not support memory swappiness capabilities or the cgroup is "
             "not mounted. Memory swappiness discarded.")
        settings.memory_swappiness = None
    if settings.oom_kill_disable:
        warn("Your kernel does not support OomKillDisable. OomKillDisable discarded.")
        settings.oom_kill_disable = False
