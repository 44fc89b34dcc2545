"""The same bundle through runc and through hullbox-runtime: same output, same exit code."""
# ruff: noqa: F811  (pytest fixtures imported from runtime_fixtures)

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from runtime_fixtures import REPO, MakeBundle, busybox_rootfs, make_bundle, runc  # noqa: F401

pytestmark = pytest.mark.root

HULLBOX_RUNTIME = [sys.executable, "-c", "import sys; from hullbox.runtime.cli import main; "
                   "main(sys.argv[1:])"]
PROBES = [
    "echo hello; exit 3",
    "echo $$; hostname",
    "grep -E 'Cap(Eff|Bnd|Prm|Inh|Amb)' /proc/self/status",
    "id; pwd; umask",
    "ls /sys/class/net; cat /sys/class/net/lo/flags",
    "ls /dev /dev/pts; ls -l /dev/null /dev/ptmx /dev/fd | cut -c1-10",
    "touch /x; echo 1 > /proc/sys/kernel/domainname; wc -c < /proc/keys",
    "mount | grep -v cgroup | sort",  # cgroup mounts differ: runc skips the unified one
    "nosuch",
]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO / "src")}


def _run(cmd: list[str], bundle: Path) -> tuple[int, str]:
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, env=_env(),
                          cwd=bundle, timeout=30)
    return proc.returncode, proc.stdout.decode()


@pytest.mark.parametrize("probe", PROBES)
def test_same_as_runc(probe: str, make_bundle: MakeBundle, runc: str,
                      tmp_path: Path) -> None:
    bundle = make_bundle(["sh", "-c", probe], hostname="probe", cgroupns=False)
    runc_code, runc_out = _run([runc, "--root", str(tmp_path / "runc"), "run", "p1"], bundle)
    ours_code, ours_out = _run([*HULLBOX_RUNTIME, "--root", str(tmp_path / "hb"), "run",
                                "p1"], bundle)
    if probe == "nosuch":
        assert (ours_code, runc_code) == (127, 127)  # shell's "not found", both sides
    assert (ours_code, ours_out) == (runc_code, runc_out)


def test_lifecycle(make_bundle: MakeBundle, tmp_path: Path) -> None:
    bundle = make_bundle(["sleep", "30"])
    root = str(tmp_path / "hb")

    def hr(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*HULLBOX_RUNTIME, "--root", root, *args], cwd=bundle,
                              capture_output=True, text=True, env=_env(), timeout=30,
                              stdin=subprocess.DEVNULL)

    def status() -> str:
        return str(json.loads(hr("state", cid).stdout)["status"])

    cid = f"lifecycle{os.getpid()}"
    try:
        # the container inherits create's stdio (as with runc): not our capture pipes
        created = subprocess.run([*HULLBOX_RUNTIME, "--root", root, "create", "--pid-file",
                                  str(tmp_path / "pid"), cid], cwd=bundle, env=_env(),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, timeout=30)
        assert created.returncode == 0
        assert status() == "created"
        state = json.loads(hr("state", cid).stdout)
        assert state["pid"] == int((tmp_path / "pid").read_text())
        assert state["bundle"] == str(bundle) and state["ociVersion"] == "1.0.2"
        assert hr("start", cid).returncode == 0
        assert status() == "running"
        assert cid in hr("list").stdout
        refused = hr("delete", cid)
        assert refused.returncode == 1 and "not stopped" in refused.stderr
        assert hr("kill", cid, "KILL").returncode == 0
        deleted = hr("delete", "--force", cid)
        assert deleted.returncode == 0, deleted.stderr
        assert hr("state", cid).returncode == 1
        assert not (tmp_path / "hb" / cid).exists()
        assert not list(Path("/sys/fs/cgroup").glob(f"*/hullbox/{cid}"))
    finally:
        hr("delete", "--force", cid)  # never leave a container behind on failure
