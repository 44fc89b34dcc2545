"""Resource-control flags: CPU shares/quota/real-time/cpuset, swap, soft limit,
swappiness, OOM killer and score, block I/O, device cgroup rules, the cgroup
parent, storage options, and the flags docker accepts on Linux only to
ignore or refuse (--kernel-memory, --gpus, --cpu-count, --cpu-percent,
--io-maxbandwidth, --io-maxiops)."""

from __future__ import annotations

from typing import Any

import click

_DEVICE_HELP = "DEVICE_PATH:{what} (e.g. /dev/vda:{example}); repeatable."

FLAGS: list[Any] = [
    click.option("-c", "--cpu-shares", type=int, help="CPU shares (relative weight)."),
    click.option("--cpu-period", type=int, help="Limit CPU CFS period (microseconds)."),
    click.option("--cpu-quota", type=int, help="Limit CPU CFS quota (microseconds)."),
    click.option("--cpu-rt-period", type=int, help="Limit CPU real-time period (microseconds)."),
    click.option("--cpu-rt-runtime", type=int,
                 help="Limit CPU real-time runtime (microseconds)."),
    click.option("--cpuset-cpus", help="CPUs in which to allow execution (0-3, 0,1)."),
    click.option("--cpuset-mems", help="Memory nodes in which to allow execution (0-3, 0,1)."),
    click.option("--cpu-count", type=int, help="CPU count (Windows only: ignored, as docker "
                 "ignores it on Linux)."),
    click.option("--cpu-percent", type=int, help="CPU percent (Windows only: discarded with a "
                 "warning, as docker does on Linux)."),
    click.option("--memory-swap", help="Memory plus swap limit; -1 for unlimited swap."),
    click.option("--memory-reservation", help="Memory soft limit (e.g. 32m)."),
    click.option("--memory-swappiness", type=int, help="Memory swappiness, 0 to 100 "
                 "(-1: the host's)."),
    click.option("--kernel-memory", help="Kernel memory limit: deprecated, ignored with a "
                 "warning, as docker does."),
    click.option("--oom-kill-disable", is_flag=True, help="Disable the OOM killer."),
    click.option("--oom-score-adj", type=int, help="Tune the host's OOM preferences "
                 "(-1000 to 1000)."),
    click.option("--cgroup-parent", help="Parent cgroup for the container's cgroup."),
    click.option("--device-cgroup-rule", "device_cgroup_rules", multiple=True,
                 metavar="'TYPE MAJ:MIN ACCESS'",
                 help="Add a rule to the cgroup allowed devices list (e.g. 'c 1:3 mr')."),
    click.option("--blkio-weight", type=int, help="Block I/O relative weight, 10 to 1000."),
    click.option("--blkio-weight-device", multiple=True,
                 help="Block I/O weight of a device: " + _DEVICE_HELP.format(
                     what="WEIGHT", example="200")),
    click.option("--device-read-bps", multiple=True, help="Limit read rate from a device: "
                 + _DEVICE_HELP.format(what="RATE", example="1mb")),
    click.option("--device-write-bps", multiple=True, help="Limit write rate to a device: "
                 + _DEVICE_HELP.format(what="RATE", example="1mb")),
    click.option("--device-read-iops", multiple=True, help="Limit read IO per second from a "
                 "device: " + _DEVICE_HELP.format(what="IOPS", example="100")),
    click.option("--device-write-iops", multiple=True, help="Limit write IO per second to a "
                 "device: " + _DEVICE_HELP.format(what="IOPS", example="100")),
    click.option("--storage-opt", multiple=True, help="Storage driver options (size=...: "
                 "only on overlay over xfs with pquota, refused otherwise)."),
    click.option("--gpus", help="GPU devices to add (refused: no GPU support here)."),
    click.option("--io-maxbandwidth", help="Maximum IO bandwidth (Windows only: refused)."),
    click.option("--io-maxiops", type=int, help="Maximum IOps (Windows only: refused)."),
]

_NAMES = ("cpu_shares", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime",
          "cpuset_cpus", "cpuset_mems", "cpu_count", "memory_swap", "memory_reservation",
          "memory_swappiness", "oom_kill_disable", "oom_score_adj", "cgroup_parent",
          "device_cgroup_rules", "blkio_weight", "blkio_weight_device", "device_read_bps",
          "device_write_bps", "device_read_iops", "device_write_iops", "storage_opt")


def to_options(params: dict[str, Any]) -> dict[str, Any]:
    from hullbox.engine.resource_host import refuse_unsupported
    from hullbox.engine.settings.resources import ResourceSettings

    refuse_unsupported(gpus=params.get("gpus"), cpu_percent=params.get("cpu_percent"),
                       kernel_memory=params.get("kernel_memory"),
                       io_max=params.get("io_maxbandwidth") not in (None, "", "0")
                       or bool(params.get("io_maxiops")))
    return {"resources": ResourceSettings.parse(**{n: params.get(n) for n in _NAMES})}
