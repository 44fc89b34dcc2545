"""The resource attributes of a compose service on the engine's
ResourceSettings, the way Docker Compose maps them to a container's
HostConfig (no root: the options only)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullbox.compose.options import ProjectOptions, load_project
from hullbox.compose.plan import ServicePlan, plan_service
from hullbox.errors import InvalidArgument

MIB = 1024 * 1024


def _plan(tmp_path: Path, text: str) -> ServicePlan:
    (tmp_path / "compose.yaml").write_text(text)
    project = load_project(ProjectOptions(cwd=str(tmp_path), project_name="p",
                                          environment={}))
    return plan_service(project.name, project.model, "web")


def test_cpu_memory_and_oom_attributes(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "services:\n  web:\n    image: busybox\n"
                 "    cpu_shares: 512\n    cpuset: '0'\n    cpu_period: 50000\n"
                 "    cpu_quota: 25000\n    cpu_rt_period: 1000000\n    cpu_rt_runtime: 10ms\n"
                 "    cpu_count: 2\n    mem_limit: 32m\n    memswap_limit: 64m\n"
                 "    mem_reservation: 16m\n    mem_swappiness: 10\n    oom_kill_disable: true\n"
                 "    oom_score_adj: 200\n    cgroup_parent: myparent\n"
                 "    device_cgroup_rules: ['c 1:3 mr']\n")
    res = plan.options.resources
    assert (res.cpu_shares, res.cpuset_cpus, res.cpu_period, res.cpu_quota) == (
        512, "0", 50000, 25000)
    assert plan.options.nano_cpus == 0  # a quota over a period is not --cpus
    assert (res.cpu_rt_period, res.cpu_rt_runtime, res.cpu_count) == (1000000, 10000, 2)
    assert (plan.options.memory, res.memory_swap, res.memory_reservation,
            res.memory_swappiness) == (32 * MIB, 64 * MIB, 16 * MIB, 10)
    assert (res.oom_kill_disable, res.oom_score_adj, res.cgroup_parent) == (
        True, 200, "myparent")
    assert res.device_cgroup_rules == ["c 1:3 mr"]


def test_unlimited_swap_and_reservations(tmp_path: Path) -> None:
    plan = _plan(tmp_path, "services:\n  web:\n    image: busybox\n    mem_limit: 32m\n"
                 "    memswap_limit: -1\n    deploy:\n      resources:\n"
                 "        reservations: {memory: 8m, cpus: '0.5'}\n")
    assert plan.options.resources.memory_swap == -1
    assert plan.options.resources.memory_reservation == 8 * MIB


def test_blkio_config_needs_block_devices(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="^service 'web': invalid --device-read-bps "
                       "/dev/null: not a block device$"):
        _plan(tmp_path, "services:\n  web:\n    image: busybox\n    blkio_config:\n"
              "      device_read_bps: [{path: /dev/null, rate: 1mb}]\n")
    with pytest.raises(InvalidArgument, match="range of blkio weight"):
        _plan(tmp_path, "services:\n  web:\n    image: busybox\n"
              "    blkio_config: {weight: 5}\n")


@pytest.mark.parametrize(("lines", "error"), [
    ("gpus: all", "gpus: could not select device driver"),
    ("deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}",
     "reservations.devices (gpu): could not select device driver"),
    ("storage_opt: {size: 1G}", "xfs with the 'pquota' mount option"),
    ("memswap_limit: 64m", "always set the memory limit"),
    ("cpus: 1\n    cpu_period: 50000", "CPU Period (--cpu-period) cannot both be set"),
])
def test_what_docker_refuses_is_refused(tmp_path: Path, lines: str, error: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        _plan(tmp_path, f"services:\n  web:\n    image: busybox\n    {lines}\n")
    assert error in str(caught.value) and str(caught.value).startswith("service 'web': ")
