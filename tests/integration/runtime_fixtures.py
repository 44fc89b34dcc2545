"""Fixtures for the runtime's integration tests (imported by test_runtime_*.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hullbox.oci.runtime_spec import default_spec

REPO = Path(__file__).resolve().parents[2]
BUSYBOX = Path("/bin/busybox")


@pytest.fixture(scope="session")
def busybox_rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rootfs dir made from the host's static busybox (scripts/make-busybox-rootfs.sh)."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    if not BUSYBOX.exists():
        pytest.skip("busybox-static not installed (/bin/busybox)")
    tmp = tmp_path_factory.mktemp("busybox")
    tar = tmp / "rootfs.tar"
    subprocess.run([str(REPO / "scripts" / "make-busybox-rootfs.sh"), str(tar)], check=True)
    rootfs = tmp / "rootfs"
    rootfs.mkdir()
    subprocess.run(["tar", "-C", str(rootfs), "-xf", str(tar)], check=True)
    rootfs.chmod(0o755)  # the tar's "./" carries mktemp's 0700: others could not enter /
    return rootfs


MakeBundle = Callable[..., Path]


@pytest.fixture
def make_bundle(busybox_rootfs: Path, tmp_path: Path) -> MakeBundle:
    """make_bundle(args, edit=None, **default_spec kwargs) -> bundle dir (config.json)."""
    count = 0

    def make(args: list[str], edit: Callable[[dict[str, Any]], None] | None = None,
             **kwargs: Any) -> Path:
        nonlocal count
        count += 1
        bundle = tmp_path / f"bundle{count}"
        bundle.mkdir()
        spec = default_spec(args, root_path=str(busybox_rootfs), **kwargs)
        if edit is not None:
            edit(spec)
        (bundle / "config.json").write_text(json.dumps(spec))
        return bundle

    return make


@pytest.fixture
def runc() -> str:
    """The runc binary, or a skip."""
    path = shutil.which("runc")
    if path is None:
        pytest.skip("runc not installed")
    return path
