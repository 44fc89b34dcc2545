"""The resource flags as config.json and inspect get them (no root): docker's
names and shapes, runtime-spec fields valid against its schema, and the
real-time budget handed down a v1 hierarchy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_specgen import _spec, _validator  # tests/unit is on sys.path (rootdir-less modules)

from hullbox.engine.resource_spec import apply_resources, inspect_fields
from hullbox.engine.settings.resources import ResourceSettings, cpuset_members
from hullbox.errors import InvalidArgument
from hullbox.runtime.cgroup_tuning import _grant_realtime, blkio_to_io_weight

MIB = 1024 * 1024


def _settings(**typed: Any) -> ResourceSettings:
    return ResourceSettings.parse(**typed)


def test_spec_fields_and_their_schema(corpora: Path) -> None:
    resources = _settings(cpu_shares=512, cpu_period=50000, cpu_quota=25000,
                          cpuset_cpus="0", memory_swap="64m", memory_reservation="16m",
                          memory_swappiness=10, oom_kill_disable=True, oom_score_adj=300,
                          cgroup_parent="/tenants/a", device_cgroup_rules=["c 1:3 mr", "b *:* r"])
    spec = _spec(memory="32m", resources=resources)
    linux = spec["linux"]
    assert linux["cgroupsPath"] == "/tenants/a/" + "c" * 64
    assert linux["resources"]["cpu"] == {"shares": 512, "period": 50000, "quota": 25000,
                                         "cpus": "0"}
    assert linux["resources"]["memory"] == {"limit": 32 * MIB, "swap": 64 * MIB,
                                            "reservation": 16 * MIB, "swappiness": 10,
                                            "disableOOMKiller": True}
    assert linux["resources"]["devices"][-2:] == [
        {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "mr"},
        {"allow": True, "type": "b", "access": "r"}]
    assert spec["process"]["oomScoreAdj"] == 300
    assert sorted(_validator(corpora).iter_errors(spec), key=str) == []


def test_inspect_shapes() -> None:
    fields = inspect_fields(_settings(memory_swap="-1", cpu_count=3), 32 * MIB)
    assert fields["MemorySwap"] == -1 and fields["CpuCount"] == 3
    assert fields["MemorySwappiness"] is None and fields["DeviceCgroupRules"] is None
    assert inspect_fields(ResourceSettings(), 32 * MIB)["MemorySwap"] == 64 * MIB
    assert inspect_fields(ResourceSettings(), 0)["MemorySwap"] == 0


def test_swappiness_minus_one_is_the_hosts_and_shares_are_clamped(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert _settings(memory_swappiness=-1).memory_swappiness is None
    assert _settings(cpu_shares=1).cpu_shares == 2
    assert _settings(cpu_shares=10**6).cpu_shares == 262144
    assert "Changing requested CPUShares of 1 to minimum allowed of 2" in capsys.readouterr().err


@pytest.mark.parametrize(("typed", "text"), [
    ({"cpu_quota": 999}, "CPU cfs quota can not be less than 1ms"),
    ({"cpuset_cpus": "1-"}, "invalid --cpuset-cpus"),
    ({"blkio_weight_device": ["/dev/sda:5"]}, "invalid weight for device"),
    ({"device_read_bps": ["/dev/sda"]}, "bad format"),
    ({"device_read_iops": ["/dev/sda:fast"]}, "invalid rate for device"),
    ({"storage_opt": ["size"]}, "use KEY=VALUE"),
    ({"memory_reservation": "1m"}, "minimum memory reservation allowed is 6MB"),
])
def test_bad_values(typed: dict[str, Any], text: str) -> None:
    with pytest.raises(InvalidArgument, match=text):
        _settings(**typed)


def test_cpuset_members() -> None:
    assert cpuset_members("0-2,5") == {0, 1, 2, 5}
    assert blkio_to_io_weight(10) == 1 and blkio_to_io_weight(1000) == 10000


def test_realtime_budget_covers_the_siblings(tmp_path: Path) -> None:
    hierarchy = tmp_path / "cpu"

    def group(path: Path, runtime: int, period: int = 1_000_000) -> None:
        path.mkdir(parents=True)
        (path / "cpu.rt_runtime_us").write_text(str(runtime))
        (path / "cpu.rt_period_us").write_text(str(period))

    group(hierarchy / "hullbox", 0)
    group(hierarchy / "hullbox" / "other", 10_000)
    group(hierarchy / "hullbox" / "me", 0, 500_000)
    _grant_realtime(str(hierarchy / "hullbox" / "me"), 20_000, str(tmp_path))
    # 20ms of every 500ms is 4%, and the sibling holds 1%: 5% of the parent's second
    assert (hierarchy / "hullbox" / "cpu.rt_runtime_us").read_text() == "50000"


def test_apply_resources_without_limits_changes_nothing_but_the_path() -> None:
    spec: dict[str, Any] = {"linux": {}, "process": {}}
    apply_resources(spec, ResourceSettings(), 0, "x")
    assert spec == {"linux": {"cgroupsPath": "/hullbox/x", "resources": {"devices": []}},
                    "process": {}}
