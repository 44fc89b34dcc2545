"""Several hullbox commands at once on one store: none fails, none corrupts it."""

from __future__ import annotations

import sqlite3
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root


def test_parallel_runs_and_imports_share_one_store(hullbox: Hullbox, busybox_tar: Path) -> None:
    def run(index: int) -> subprocess.CompletedProcess[bytes]:
        if index % 4 == 3:
            args = ["import", str(busybox_tar), f"parallel:{index}"]
        else:
            args = ["run", "--rm", "--name", f"par{index}", "busybox", "echo", f"n{index}"]
        return subprocess.run([*hullbox_command(), *args], env=hullbox.env(),
                              capture_output=True, timeout=120, check=False)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, range(12)))
    for index, result in enumerate(results):
        assert result.returncode == 0, (index, result.stderr)
        if index % 4 != 3:
            assert result.stdout == f"n{index}\n".encode()
    names = hullbox.ok("ps", "-a", "--format", "{{.Names}}").split()
    assert [n for n in names if n.startswith("par")] == []  # --rm removed every one
    tags = hullbox.ok("images", "--format", "{{.Repository}}:{{.Tag}}").split()
    assert sorted(t for t in tags if t.startswith("parallel:")) == [
        "parallel:11", "parallel:3", "parallel:7"]
    with sqlite3.connect(hullbox.root / "hullbox.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    for tag in ("parallel:3", "parallel:7", "parallel:11"):
        hullbox.ok("rmi", tag)
