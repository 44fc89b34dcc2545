"""``checkpoint create|ls|rm`` and ``start --checkpoint``: checkpoint and
restore need CRIU. hullbox asks CRIU itself (``criu check``) whether it can
work on this kernel and refuses with CRIU's own reason when it cannot; it
never pretends to have saved or restored a container."""

from __future__ import annotations

import re
import shutil
import subprocess

from hullbox.errors import Unsupported

# criu's lines read "Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds"
_ERROR_LINE = re.compile(r"^Error \([^)]*\):\s*(.*)$")


def criu_problem() -> str | None:
    """Why CRIU cannot checkpoint here (its first error), or None when
    ``criu check`` passes."""
    criu = shutil.which("criu") or shutil.which("criu", path="/usr/sbin:/sbin")
    if criu is None:
        return "criu is not installed (apt-get install criu)"
    try:
        done = subprocess.run([criu, "check"], capture_output=True, text=True, timeout=60,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"criu check could not run: {exc}"
    if done.returncode == 0:
        return None
    lines = (done.stderr + done.stdout).splitlines()
    reasons = [m.group(1) for line in lines if (m := _ERROR_LINE.match(line.strip()))]
    first = reasons[0] if reasons else next((x.strip() for x in lines if x.strip()), "")
    return f"criu check fails: {first or f'exit status {done.returncode}'}"


def refuse(action: str) -> None:
    """Raise the one line for ``action`` (``checkpoint create``, ``start
    --checkpoint``...): CRIU's reason when it cannot work on this host, else
    that hullbox has no checkpoint/restore of its own yet."""
    problem = criu_problem()
    if problem is not None:
        raise Unsupported(f"{action}: CRIU cannot checkpoint or restore on this host "
                          f"({problem}); stop and start the container instead")
    raise Unsupported(f"{action}: hullbox does not checkpoint or restore containers yet "
                      "(CRIU works here); stop and start the container instead")
