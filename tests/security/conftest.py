"""The hostile-container suite: an image with a syscall probe, and the CLI fixture."""
# ruff: noqa: F401, F811  (pytest fixtures re-exported from the e2e suite)

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from e2e.conftest import Hullbox, busybox_tar, hullbox

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def probe_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/security/probe.c, built static so it runs in a busybox image."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed (apt-get install gcc libc6-dev): "
                    "the syscall probe cannot be built")
    out = tmp_path_factory.mktemp("probe") / "probe"
    subprocess.run([gcc, "-static", "-O1", "-o", str(out), str(HERE / "probe.c")], check=True)
    return out


@pytest.fixture(scope="session")
def probe_image(hullbox: Hullbox, busybox_tar: Path, probe_binary: Path,
                tmp_path_factory: pytest.TempPathFactory) -> str:
    """``probe:latest``: busybox plus /bin/probe and a setuid-root copy, /bin/suid-probe."""
    tar_path = tmp_path_factory.mktemp("probe-image") / "rootfs.tar"
    shutil.copyfile(busybox_tar, tar_path)
    with tarfile.open(tar_path, "a") as tar:
        for name, mode in (("bin/probe", 0o755), ("bin/suid-probe", 0o4755)):
            info = tar.gettarinfo(str(probe_binary), arcname=name)
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            info.mode = mode
            with probe_binary.open("rb") as f:
                tar.addfile(info, f)
    hullbox.ok("import", str(tar_path), "probe:latest")
    return "probe:latest"


#: the flags of the container an attack runs in
Isolation = tuple[str, ...]


@pytest.fixture(params=["default", "userns-auto"])
def isolation(request: pytest.FixtureRequest) -> Isolation:
    """The attack again from a container whose root is an unprivileged host
    id (--userns auto): it must fail there too, and no worse."""
    return () if request.param == "default" else ("--userns", "auto")
