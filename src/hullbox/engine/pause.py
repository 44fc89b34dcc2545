"""``pause`` and ``unpause``: the freezer of the container's cgroup.

cgroup v1 has a freezer hierarchy (``freezer.state``: THAWED, FREEZING,
FROZEN); v2 has ``cgroup.freeze`` (0/1) and reports the result in
``cgroup.events`` (``frozen 1``). A hybrid host uses the v1 freezer. The
kernel is the only record of it: nothing is stored, so a paused container
stays paused (and shown so) whatever happens to the hullbox that paused it.
"""

from __future__ import annotations

import contextlib
import os
import time

from hullbox.errors import RuntimeFailure

FREEZE_TIMEOUT = 10.0


def cgroup_path(container_id: str) -> str:
    """The container's cgroups path as the runtime recorded it (under
    --cgroup-parent, or in rootless mode under the user's delegated cgroup),
    else specgen's default."""
    from hullbox.engine.launch import runtime_state_root
    from hullbox.errors import HullboxError
    from hullbox.runtime.state import read_state

    try:
        recorded = read_state(str(runtime_state_root() / "runtime"), container_id)
    except (HullboxError, OSError, TypeError, ValueError):
        recorded = None
    if recorded is not None and recorded.cgroups_path:
        return recorded.cgroups_path
    return f"/hullbox/{container_id}"


def _freezer_file(container_id: str) -> tuple[str, bool]:
    """(path, is_v1) of the container's freezer control file."""
    from hullbox.runtime.cgroups import open_cgroup

    cgroup = open_cgroup(cgroup_path(container_id))
    if cgroup.v2:
        return os.path.join(cgroup.dirs[""], "cgroup.freeze"), False
    from hullbox.engine.rootless import is_rootless

    if is_rootless():
        raise RuntimeFailure("pause: a rootless container needs a cgroup v2 freezer delegated "
                             "to the user (systemd's Delegate=); the cgroup v1 freezer is "
                             "root's: run the container as root to pause it")
    for name, directory in cgroup.dirs.items():
        if "freezer" in name.split(","):
            return os.path.join(directory, "freezer.state"), True
    raise RuntimeFailure("pause: this host has no freezer cgroup (cgroup v1 without the "
                         "freezer controller); mount it to pause containers")


def is_paused(container_id: str) -> bool:
    """Whether the container's cgroup is frozen (or freezing)."""
    try:
        path, v1 = _freezer_file(container_id)
        with open(path) as handle:
            value = handle.read().strip()
    except (OSError, RuntimeFailure):
        return False
    return value in ("FROZEN", "FREEZING") if v1 else value == "1"


def _frozen(container_id: str, path: str, v1: bool) -> bool:
    if v1:
        with open(path) as handle:
            return handle.read().strip() == "FROZEN"
    events = os.path.join(os.path.dirname(path), "cgroup.events")
    with open(events) as handle:
        return any(line.strip() == "frozen 1" for line in handle)


def set_frozen(container_id: str, name: str, frozen: bool) -> None:
    """Freeze or thaw every process of the container and wait until the kernel
    says it is done; RuntimeFailure when the cgroup refuses."""
    path, v1 = _freezer_file(container_id)
    value = ("FROZEN" if frozen else "THAWED") if v1 else ("1" if frozen else "0")
    action = "pause" if frozen else "unpause"
    try:
        with open(path, "w") as handle:
            handle.write(value)
        deadline = time.monotonic() + FREEZE_TIMEOUT
        while _frozen(container_id, path, v1) != frozen:
            if time.monotonic() > deadline:
                raise RuntimeFailure(f"{action} container {name}: the freezer did not "
                                     f"finish in {FREEZE_TIMEOUT:.0f}s")
            if v1 and frozen:
                with open(path, "w") as handle:  # v1 retries FREEZING on each write
                    handle.write(value)
            time.sleep(0.01)
    except OSError as exc:
        raise RuntimeFailure(f"{action} container {name}: {path}: {exc.strerror}") from exc


def thaw_if_paused(container_id: str) -> None:
    """After a signal to a paused container: let it handle the signal (a
    frozen v1 task does not even die of SIGKILL), as Docker's stop and kill do."""
    if is_paused(container_id):
        # the container is going away: its cgroup may be gone already
        with contextlib.suppress(RuntimeFailure):
            set_frozen(container_id, container_id[:12], False)
