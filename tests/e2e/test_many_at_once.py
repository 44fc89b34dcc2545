"""Issue 3, "many commands at once are safe": 50 ``run -d`` in parallel, then
50 ``rm -f`` in parallel, on one private store root; everything they made
is counted before and after: mounts, cgroups, rows, monitors, runtime state."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = [pytest.mark.root, pytest.mark.slow]

COUNT = 50


def _mounts_under(root: Path) -> list[str]:
    prefix = str(root) + "/"
    with open("/proc/self/mountinfo") as info:
        return [line.split()[4] for line in info if line.split()[4].startswith(prefix)]


def _cgroups_of(ids: list[str]) -> list[Path]:
    """The containers' cgroup dirs: every v1 controller, and v2 (the unified
    mount of a hybrid host, or the root of a pure v2 one)."""
    base = Path("/sys/fs/cgroup")
    found = []
    for container_id in ids:
        found += [p for p in base.glob(f"*/hullbox/{container_id}") if p.is_dir()]
        found += [p for p in base.glob(f"hullbox/{container_id}") if p.is_dir()]
    return found


def _monitors_of(root: Path) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"hullbox.engine.monitor" in cmdline and os.fsencode(root) in cmdline:
            pids.append(int(entry.name))
    return pids


def _runtime_state_of(ids: list[str]) -> list[Path]:
    return [p for i in ids for p in (Path("/run/hullbox/runtime") / i,) if p.exists()]


def _rows(root: Path) -> int:
    with sqlite3.connect(root / "hullbox.db") as conn:
        return int(conn.execute("SELECT COUNT(*) FROM containers").fetchone()[0])


def _integrity(root: Path) -> str:
    with sqlite3.connect(root / "hullbox.db") as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def test_fifty_parallel_runs_and_removals_leave_nothing(
        new_store: Callable[[str], Hullbox], busybox_tar: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root: namespaces, mounts and cgroups")
    box = new_store("store")
    box.ok("import", str(busybox_tar), "busybox:latest")
    assert (_mounts_under(box.root), _rows(box.root), _monitors_of(box.root)) == ([], 0, [])

    def hullbox(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*hullbox_command(), *args], env=box.env(), text=True,
                              capture_output=True, timeout=300, check=False)

    with ThreadPoolExecutor(max_workers=COUNT) as pool:
        runs = list(pool.map(lambda i: hullbox("run", "-d", "--name", f"many{i}", "busybox",
                                               "sleep", "600"), range(COUNT)))
    assert [(r.returncode, r.stderr) for r in runs] == [(0, "")] * COUNT
    ids = [r.stdout.strip() for r in runs]
    assert len(set(ids)) == COUNT
    # Each one really runs: a mount, cgroups, a row, a monitor and runtime state.
    assert len(_mounts_under(box.root)) == COUNT
    assert len({p.name for p in _cgroups_of(ids)}) == COUNT
    assert _rows(box.root) == COUNT
    assert len(_monitors_of(box.root)) == COUNT
    assert len(_runtime_state_of(ids)) == COUNT
    assert box.ok("ps", "-q", "--no-trunc").split() != []
    assert sorted(box.ok("ps", "-q", "--no-trunc").split()) == sorted(ids)

    with ThreadPoolExecutor(max_workers=COUNT) as pool:
        removals = list(pool.map(lambda i: hullbox("rm", "-f", i), ids))
    assert [(r.returncode, r.stderr) for r in removals] == [(0, "")] * COUNT

    deadline = time.monotonic() + 30  # monitors finish their last write, then exit
    while _monitors_of(box.root) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _monitors_of(box.root) == []
    assert _mounts_under(box.root) == []
    assert _cgroups_of(ids) == []
    assert _rows(box.root) == 0
    assert _runtime_state_of(ids) == []
    assert list((box.root / "containers").iterdir()) == []
    assert _integrity(box.root) == "ok"
