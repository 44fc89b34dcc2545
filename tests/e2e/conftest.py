"""The CLI as a user types it, against a store made for the test session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def hullbox_command() -> list[str]:
    """The installed console script next to this interpreter (what a user runs),
    else the module through the same interpreter."""
    script = Path(sys.executable).parent / "hullbox"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "hullbox.cli.main"]


@dataclass
class Hullbox:
    """Runs ``hullbox`` with a private store root."""

    root: Path

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["HULLBOX_ROOT"] = str(self.root)
        env.setdefault("PYTHONPATH", str(REPO_ROOT / "src"))
        return env

    def __call__(self, *args: str, input: bytes | None = None,
                 timeout: float = 60) -> subprocess.CompletedProcess[str]:
        raw = subprocess.run(
            [*hullbox_command(), *args],
            input=input,
            capture_output=True,
            env=self.env(),
            timeout=timeout,
            check=False,
        )
        return subprocess.CompletedProcess(
            raw.args, raw.returncode, raw.stdout.decode(errors="replace"),
            raw.stderr.decode(errors="replace"))

    def ok(self, *args: str, **kwargs: object) -> str:
        result = self(*args, **kwargs)  # type: ignore[arg-type]
        assert result.returncode == 0, f"hullbox {' '.join(args)}: {result.stderr}"
        return result.stdout


@pytest.fixture(scope="session")
def busybox_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rootfs tar of Debian's static busybox, made on the spot."""
    if not Path("/bin/busybox").exists():
        pytest.skip("busybox-static is not installed (apt-get install busybox-static)")
    out = tmp_path_factory.mktemp("rootfs") / "busybox-rootfs.tar"
    subprocess.run([str(REPO_ROOT / "scripts" / "make-busybox-rootfs.sh"), str(out)],
                   check=True)
    return out


@pytest.fixture(scope="session")
def hullbox(tmp_path_factory: pytest.TempPathFactory, busybox_tar: Path) -> Iterator[Hullbox]:
    """A store with ``busybox:latest`` imported."""
    if os.geteuid() != 0:
        pytest.skip("needs root: namespaces, mounts and cgroups")
    root = tmp_path_factory.mktemp("store")
    runner = Hullbox(root)
    runner.ok("import", str(busybox_tar), "busybox:latest")
    yield runner
    for container in runner("ps", "-aq", "--no-trunc").stdout.split():
        runner("rm", "-f", container)
    shutil.rmtree(root, ignore_errors=True)
    from hullbox.network.bridge import sweep_orphans

    sweep_orphans()  # the bridge of this store's default network, now that it is gone
