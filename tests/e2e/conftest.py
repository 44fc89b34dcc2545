"""The CLI as a user types it, against a store made for the test session."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .debian_image import DiskInBackground
from .storecheck import release

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
    """A store with ``busybox:latest`` imported; reset when the session ends,
    and failing then if the reset left anything of it on the host."""
    if os.geteuid() != 0:
        pytest.skip("needs root: namespaces, mounts and cgroups")
    root = tmp_path_factory.mktemp("store")
    runner = Hullbox(root)
    runner.ok("import", str(busybox_tar), "busybox:latest")
    yield runner
    left = release(runner)
    assert not left, f"the session store left: {left}"


def until(check: Callable[[], bool], timeout: float = 20.0) -> bool:
    """Whether ``check()`` comes true within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def box(hullbox: Hullbox) -> Iterator[Hullbox]:
    """The session store, emptied of containers after the test (for modules
    whose tests use fixed names such as ``web``)."""
    yield hullbox
    for container in hullbox("ps", "-aq", "--no-trunc").stdout.split():
        hullbox("rm", "-f", container)


@pytest.fixture
def name(hullbox: Hullbox) -> Iterator[str]:
    """A name no other test uses (a prefix for the test's containers, so
    filters and events match only them); its containers are removed after."""
    unique = f"t-{uuid.uuid4().hex[:8]}"
    yield unique
    mine = hullbox("ps", "-aq", "--no-trunc", "--filter", f"name={unique}").stdout.split()
    for container in mine:
        hullbox("rm", "-f", container)


def refused(runner: Hullbox, *args: str, code: int = 125) -> str:
    """Runs a command that must be refused: exit ``code``, one line on
    stderr starting with ``hullbox: ``, nothing on stdout; returns the line."""
    result = runner(*args)
    assert result.returncode == code, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hullbox: "), result.stderr
    assert result.stdout == "", result.stdout
    return lines[0]


@pytest.fixture
def new_store(tmp_path: Path) -> Iterator[Callable[[str], Hullbox]]:
    """Makes empty stores of the test's own (``new_store("other")``), each
    reset when the test is done; the test fails if one left anything."""
    made: list[Hullbox] = []

    def make(name: str = "store") -> Hullbox:
        made.append(Hullbox(tmp_path / name))
        return made[-1]

    yield make
    left = [problem for store in made for problem in release(store)]
    assert not left, f"a test store left: {left}"


@pytest.fixture(scope="session", autouse=True)
def debian_disk_build(
        request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[DiskInBackground | None]:
    """Starts making the Debian disk with the first e2e test when a selected
    test boots it (debian_image.py), so the build overlaps the other tests."""
    wanted = any("debian_qcow2" in getattr(item, "fixturenames", ())
                 for item in request.session.items)
    build = DiskInBackground(tmp_path_factory.getbasetemp() / "debian-disks") if wanted else None
    yield build
    if build is not None:
        build.finish()
