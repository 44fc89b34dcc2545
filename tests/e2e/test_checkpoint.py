"""``checkpoint create|ls|rm`` and ``start --checkpoint`` as a user types
them: CRIU decides. Where ``criu check`` fails (this kernel's vDSO), each is
refused in one line with CRIU's own reason and the container is untouched."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from .conftest import Hullbox, refused

pytestmark = pytest.mark.root

CRIU = shutil.which("criu") or shutil.which("criu", path="/usr/sbin:/sbin")


def _criu_reason() -> str | None:
    """The first error of ``criu check``, None when it passes."""
    assert CRIU is not None
    done = subprocess.run([CRIU, "check"], capture_output=True, text=True, timeout=60,
                          check=False)
    if done.returncode == 0:
        return None
    match = re.search(r"^Error \([^)]*\):\s*(.*)$", done.stderr, re.MULTILINE)
    assert match, done.stderr
    return match.group(1)


@pytest.mark.skipif(CRIU is None, reason="criu is not installed (apt-get install criu)")
def test_checkpoint_verbs_say_why_criu_cannot_work(hullbox: Hullbox, name: str) -> None:
    reason = _criu_reason()
    expected = (f"CRIU cannot checkpoint or restore on this host (criu check fails: {reason})"
                if reason else "hullbox does not checkpoint or restore containers yet")
    hullbox.ok("run", "-d", "--name", name, "busybox", "sleep", "600")
    stopped = f"{name}-stopped"
    hullbox.ok("create", "--name", stopped, "busybox", "true")
    for args, action in (
        (["checkpoint", "create", name, "cp1"], "checkpoint create"),
        (["checkpoint", "create", "--leave-running", "--checkpoint-dir", "/tmp", name, "cp1"],
         "checkpoint create"),
        (["checkpoint", "ls", name], "checkpoint ls"),
        (["checkpoint", "rm", name, "cp1"], "checkpoint rm"),
        (["start", "--checkpoint", "cp1", stopped], "start --checkpoint"),
        (["start", "--checkpoint-dir", "/tmp", stopped], "start --checkpoint-dir"),
    ):
        line = refused(hullbox, *args)
        assert line.startswith(f"hullbox: {action}: {expected}"), line
    assert refused(hullbox, "checkpoint", "create", f"{name}-none", "cp1") == (
        f"hullbox: no such container: {name}-none")
    assert hullbox.ok("inspect", "-f", "{{.State.Status}}", name, stopped).split() == [
        "running", "created"]
    container_dir = hullbox.root / "containers" / hullbox.ok("inspect", "-f", "{{.Id}}",
                                                             name).strip()
    assert not (container_dir / "checkpoints").exists()
