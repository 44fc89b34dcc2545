"""Descriptors the container's process gets, through runc and through
hullbox-runtime side by side: 0-2 only, plus 3..3+N-1 with --preserve-fds N,
however many the runtime itself inherited."""
# ruff: noqa: F811  (pytest fixtures imported from runtime_fixtures)

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from runtime_fixtures import REPO, MakeBundle, busybox_rootfs, make_bundle, runc  # noqa: F401

pytestmark = pytest.mark.root

HULLBOX_RUNTIME = [sys.executable, "-c", "import sys; from hullbox.runtime.cli import main; "
                   "main(sys.argv[1:])"]
PROBE = "cat <&3 2>&1; cat <&4 2>&1; ls /proc/self/fd"


def _run(cmd: list[str], bundle: Path, files: Path) -> tuple[int, str]:
    """``cmd`` started with descriptors 3 and 4 open, as a shell passes them."""
    shell = ["sh", "-c", f'exec "$@" 3<{files}/three 4<{files}/four', "sh", *cmd]
    proc = subprocess.run(shell, stdin=subprocess.DEVNULL, capture_output=True, cwd=bundle,
                          env={**os.environ, "PYTHONPATH": str(REPO / "src")}, timeout=30)
    return proc.returncode, proc.stdout.decode()


@pytest.mark.parametrize("preserve", [None, "1", "2"])
def test_descriptors_as_runc_passes_them(preserve: str | None, make_bundle: MakeBundle,
                                         runc: str, tmp_path: Path) -> None:
    (tmp_path / "three").write_text("three\n")
    (tmp_path / "four").write_text("four\n")
    flag = ["--preserve-fds", preserve] if preserve else []
    bundle = make_bundle(["sh", "-c", PROBE])
    theirs = _run([runc, "--root", str(tmp_path / "runc"), "run", *flag, "f1"], bundle,
                  tmp_path)
    ours = _run([*HULLBOX_RUNTIME, "--root", str(tmp_path / "hb"), "run", *flag, "f1"],
                bundle, tmp_path)
    assert ours == theirs
    assert ("three" in ours[1]) == (preserve is not None)
    assert ("four" in ours[1]) == (preserve == "2")
