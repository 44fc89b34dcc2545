"""cgroups v1/v2 path logic against fake trees, mount option parsing, secure_join."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hullbox.linux import mounts as m
from hullbox.oci.runtime_spec import DeviceRule, Resources
from hullbox.runtime import cgroups
from hullbox.runtime.mounts import parse_options, secure_join

_INTERFACE = ("cgroup.procs", "memory.max", "memory.swap.max", "cpu.max", "cpu.weight",
              "pids.max", "memory.limit_in_bytes", "cpu.shares", "cpuset.cpus", "cpuset.mems",
              "devices.allow", "devices.deny")


@pytest.fixture
def kernel_mkdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """os.mkdir that fills a new dir with interface files, as cgroupfs does."""
    real_mkdir = os.mkdir

    def mkdir(path: str | os.PathLike[str], mode: int = 0o777, **kwargs: object) -> None:
        real_mkdir(path, mode)
        new = Path(path)
        if (new.parent / "cgroup.controllers").exists():
            (new / "cgroup.controllers").write_text("cpu memory pids\n")
            (new / "cgroup.subtree_control").write_text("")
        for name in _INTERFACE:
            (new / name).write_text("")

    monkeypatch.setattr(os, "mkdir", mkdir)


def _fake_v2(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    (root / "cgroup.subtree_control").write_text("")
    return root


@pytest.mark.usefixtures("kernel_mkdir")
def test_v2_create_enables_controllers_and_writes_limits(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _fake_v2(tmp_path / "cg")
    writes: list[tuple[Path, str]] = []

    def record(path: str, value: str) -> None:
        writes.append((Path(path), value))
        Path(path).write_text(value)

    monkeypatch.setattr(cgroups, "_write", record)
    res = Resources(memory_limit=64 << 20, memory_swap=128 << 20, cpu_quota=50000,
                    cpu_period=100000, cpu_shares=1024, pids_limit=5)
    cg = cgroups.create_cgroup("/hullbox/abc", res, str(root))
    d = root / "hullbox" / "abc"
    assert cg.v2 and cg.dirs == {"": str(d)}
    enabled = [(p.parent, v) for p, v in writes if p.name == "cgroup.subtree_control"]
    assert enabled == [(root, f"+{c}") for c in ("cpuset", "cpu", "io", "memory", "pids")] + [
        (root / "hullbox", f"+{c}") for c in ("cpu", "memory", "pids")]  # not in the leaf
    assert (d / "memory.max").read_text() == str(64 << 20)
    assert (d / "memory.swap.max").read_text() == str(64 << 20)
    assert (d / "cpu.max").read_text() == "50000 100000"
    assert (d / "cpu.weight").read_text() == "39"
    assert (d / "pids.max").read_text() == "5"
    assert cg.procs_files() == [str(d / "cgroup.procs")]


def test_v2_oom_and_destroy(tmp_path: Path) -> None:
    root = _fake_v2(tmp_path / "cg")
    cg = cgroups.open_cgroup("/hullbox/x", str(root))
    d = root / "hullbox" / "x"
    d.mkdir(parents=True)
    (d / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 0\n")
    assert not cg.oom_killed()
    (d / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert cg.oom_killed()
    (d / "memory.events").unlink()
    cg.destroy()
    assert not d.exists() and (root / "hullbox").exists()


@pytest.mark.usefixtures("kernel_mkdir")
def test_v1_hybrid_layout(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    os.makedirs(root)
    for name in ("memory", "pids", "cpu", "cpuset", "devices", "unified"):
        os.mkdir(root / name)
    (root / "cpuset" / "cpuset.cpus").write_text("0-1\n")
    (root / "cpuset" / "cpuset.mems").write_text("0\n")
    os.symlink("cpu", root / "cpu,cpuacct")
    assert not cgroups.is_v2(str(root))
    res = Resources(memory_limit=1 << 20, pids_limit=7, cpu_shares=512,
                    devices=(DeviceRule(False), DeviceRule(True, "c", 1, 3, "rwm")))
    cg = cgroups.create_cgroup("/hullbox/y", res, str(root))
    assert set(cg.dirs) == {"memory", "pids", "cpu", "cpuset", "devices", "unified"}
    assert (root / "memory/hullbox/y/memory.limit_in_bytes").read_text() == str(1 << 20)
    assert (root / "pids/hullbox/y/pids.max").read_text() == "7"
    assert (root / "cpu/hullbox/y/cpu.shares").read_text() == "512"
    assert (root / "cpuset/hullbox/y/cpuset.cpus").read_text() == "0-1"
    assert (root / "devices/hullbox/y/devices.allow").read_text() == "c 1:3 rwm"
    (root / "memory/hullbox/y/memory.oom_control").write_text(
        "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n")
    assert cg.oom_killed()


def test_create_rolls_back_on_failure(tmp_path: Path) -> None:
    root = tmp_path / "cg"
    (root / "memory").mkdir(parents=True)
    (root / "pids").mkdir()
    res = Resources(pids_limit=3)
    (root / "pids" / "hullbox").mkdir()
    (root / "pids" / "hullbox" / "z").mkdir()
    (root / "pids" / "hullbox" / "z" / "pids.max").mkdir()  # writing it fails
    with pytest.raises(OSError):
        cgroups.create_cgroup("/hullbox/z", res, str(root))
    assert not (root / "memory" / "hullbox").exists()


def test_shares_to_weight() -> None:
    assert cgroups.shares_to_weight(2) == 1
    assert cgroups.shares_to_weight(262144) == 10000
    assert cgroups.shares_to_weight(1024) == 39


def test_parse_options() -> None:
    flags, prop, data = parse_options(("nosuid", "strictatime", "mode=755", "size=65536k"))
    assert flags == m.MS_NOSUID | m.MS_STRICTATIME and prop == []
    assert data == "mode=755,size=65536k"
    flags, prop, _ = parse_options(("rbind", "ro", "rprivate"))
    assert flags == m.MS_BIND | m.MS_REC | m.MS_RDONLY
    assert prop == [m.MS_PRIVATE | m.MS_REC]
    assert parse_options(("ro", "rw"))[0] == 0


def test_secure_join_never_escapes(tmp_path: Path) -> None:
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    os.symlink("/etc", root / "abs")
    os.symlink("../../../..", root / "up")
    os.symlink("loop", root / "loop")
    assert secure_join(str(root), "/abs/passwd") == str(root / "etc" / "passwd")
    assert secure_join(str(root), "/up/etc") == str(root / "etc")
    assert secure_join(str(root), "../../x") == str(root / "x")
    with pytest.raises(OSError):
        secure_join(str(root), "/loop/x")
