"""cgroup v2 delegation: a rootless container's cgroup, under the user's own.

A user may make cgroups only where it was given a v2 subtree: systemd's
``Delegate=`` (or an administrator) hands over a cgroup dir with its
cgroup.procs, cgroup.subtree_control and cgroup.threads. The container's
cgroup is then a child of the cgroup the user's process is in (the ``0::``
line of /proc/self/cgroup, under the v2 mount: /sys/fs/cgroup, or
/sys/fs/cgroup/unified on a hybrid host). A limit can be written only for a
controller the delegated cgroup has (its cgroup.controllers); the engine
warns about the others and drops them before the container is made.

A cgroup with processes in it cannot enable controllers for its children
(cgroup v2's no-internal-process rule), so when it refuses with EBUSY the
user's processes are moved into a leaf of it (LEAF), as Podman and the
docker-in-docker entry point do, and the delegated cgroup is still found
from there.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import os

from hullbox.runtime.cgroups import CGROUP_ROOT, Cgroup, _apply_v2, _read, _write, is_v2

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hullbox.oci.runtime_spec import Resources

#: where the processes of a delegated cgroup go so that it may enable controllers
LEAF = "hullbox-init"
#: the files a delegation hands over (systemd's Delegate= chowns these and the dir)
DELEGATED_FILES = ("cgroup.procs", "cgroup.subtree_control")
#: Resources field -> the v2 controller its file belongs to
CONTROLLER_OF = {"memory_limit": "memory", "memory_swap": "memory", "cpu_shares": "cpu",
                 "cpu_quota": "cpu", "cpu_period": "cpu", "pids_limit": "pids"}


def v2_mount(root: str = CGROUP_ROOT) -> str | None:
    """The cgroup v2 mount: ``root`` itself, or its ``unified`` dir on a hybrid host."""
    for candidate in (root, os.path.join(root, "unified")):
        if is_v2(candidate):
            return candidate
    return None


def own_v2_dir(root: str = CGROUP_ROOT) -> str | None:
    """The dir of the v2 cgroup this process is in."""
    mount = v2_mount(root)
    if mount is None:
        return None
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("0::"):
            return os.path.join(mount, line[3:].lstrip("/"))
    return None


def delegated_dir(root: str = CGROUP_ROOT) -> str | None:
    """The cgroup delegated to this (rootless) process's user, or None."""
    own = own_v2_dir(root)
    if own is None:
        return None
    if os.path.basename(own) == LEAF:  # moved aside by an earlier container
        own = os.path.dirname(own)
    writable = [own] + [os.path.join(own, name) for name in DELEGATED_FILES]
    if all(os.access(path, os.W_OK) for path in writable):
        return own
    return None


def controllers(directory: str) -> list[str]:
    """The controllers a cgroup has for itself (and may enable for its children)."""
    try:
        return _read(os.path.join(directory, "cgroup.controllers")).split()
    except OSError:
        return []


def needed_controllers(resources: Resources) -> set[str]:
    """The controllers whose files the limits in ``resources`` are written to."""
    return {name for field, name in CONTROLLER_OF.items()
            if getattr(resources, field) is not None}


def create_delegated(container_id: str, resources: Resources,
                     root: str = CGROUP_ROOT) -> Cgroup | None:
    """Make the container's cgroup under the delegated one, with the limits
    its controllers allow (the engine warned about the rest); None when
    nothing is delegated. Cgroup.path is the absolute dir (open_cgroup
    takes it back)."""
    base = delegated_dir(root)
    if base is None:
        return None
    available = set(controllers(base))
    usable = needed_controllers(resources) & available
    _enable(base, usable)
    limits = copy.copy(resources)
    for field, name in CONTROLLER_OF.items():
        if name not in usable:
            setattr(limits, field, None)
    path = os.path.join(base, f"hullbox-{container_id}")
    os.mkdir(path)
    try:
        _apply_v2(path, limits)
    except BaseException:
        with contextlib.suppress(OSError):
            os.rmdir(path)
        raise
    return Cgroup(path, True, {"": path}, root)


def _enable(base: str, wanted: set[str]) -> None:
    control = os.path.join(base, "cgroup.subtree_control")
    missing = wanted - set(_read(control).split())
    if not missing:
        return
    value = " ".join(f"+{name}" for name in sorted(missing))
    try:
        _write(control, value)
    except OSError as exc:
        if exc.errno != errno.EBUSY:
            raise
        _move_processes_aside(base)
        _write(control, value)


def _move_processes_aside(base: str) -> None:
    """Move every process of ``base`` into its LEAF child (the no-internal-process rule)."""
    leaf = os.path.join(base, LEAF)
    with contextlib.suppress(FileExistsError):
        os.mkdir(leaf)
    for pid in _read(os.path.join(base, "cgroup.procs")).split():
        try:
            _write(os.path.join(leaf, "cgroup.procs"), pid)
        except ProcessLookupError:
            continue  # it exited meanwhile
