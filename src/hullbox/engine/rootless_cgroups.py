"""Rootless mode's cgroup limits: applied where delegated, dropped with one warning where not.

A user's limits need a cgroup v2 subtree delegated to it (systemd's
Delegate=; see runtime/cgroup_delegation.py), and in it the controller each
limit is written to. Where there is no delegation at all (a cgroup v1 host,
or a v2 one without Delegate=), every limit is dropped with one warning, as
Podman does on cgroup v1; where some controllers are missing from the
delegated cgroup, the limits that need them are dropped, with one warning
naming the controllers. The container is shown without what it runs without.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hullbox.engine.options import ContainerOptions

#: the options that need a cgroup of the container's own: (field, flag, v2 controller)
LIMITS = (("memory", "--memory", "memory"), ("nano_cpus", "--cpus", "cpu"),
          ("pids_limit", "--pids-limit", "pids"))
CGROUPS_NOT_DELEGATED = "cgroups are not delegated to this user here (a cgroup v2 subtree)"


def delegated_dir() -> str | None:
    """The v2 cgroup delegated to this user (the one it is in), or None."""
    from hullbox.runtime.cgroup_delegation import delegated_dir as find

    return find()


def cgroups_delegated() -> bool:
    """Whether this user may make cgroups (a cgroup v2 subtree of its own)."""
    return delegated_dir() is not None


def delegated_controllers() -> list[str] | None:
    """The controllers of the delegated cgroup; None when none is delegated."""
    from hullbox.runtime.cgroup_delegation import controllers

    base = delegated_dir()
    return None if base is None else controllers(base)


def describe() -> str:
    """``hullbox info``'s Cgroup Limits value in rootless mode."""
    available = delegated_controllers()
    if available is None:
        return "not delegated (cgroups are not delegated to this user)"
    return f"delegated (v2: {' '.join(available) or 'none'})"


def missing_controllers_warning() -> str | None:
    """For ``hullbox info``: which limits a delegated cgroup cannot apply."""
    available = delegated_controllers()
    if available is None:
        return (f"rootless: {CGROUPS_NOT_DELEGATED}: --memory, --cpus and --pids-limit are "
                "ignored with a warning; a systemd host with cgroup v2 delegates them")
    missing = [(flag, name) for _, flag, name in LIMITS if name not in available]
    if not missing:
        return None
    return (f"rootless: the {_names([n for _, n in missing])} not delegated to this user's "
            f"cgroup: {_names([f for f, _ in missing], plural=False)} ignored with a warning")


def _names(names: list[str], plural: bool = True) -> str:
    unique = list(dict.fromkeys(names))
    joined = " and ".join([", ".join(unique[:-1]), unique[-1]] if len(unique) > 1 else unique)
    if not plural:
        return f"{joined} {'is' if len(unique) == 1 else 'are'}"
    return f"{joined} {'controller is' if len(unique) == 1 else 'controllers are'}"


def _undelegated(given: list[tuple[str, str, str]]) -> tuple[list[tuple[str, str, str]], str]:
    """(the limits that cannot be applied, the one-line warning about them)."""
    available = delegated_controllers()
    if available is None:
        flags = [flag for _, flag, _ in given]
        return given, (f"rootless: {CGROUPS_NOT_DELEGATED}, so "
                       f"{_names(flags, plural=False)} ignored")
    dropped = [limit for limit in given if limit[2] not in available]
    return dropped, (f"rootless: the {_names([n for _, _, n in dropped])} not delegated to "
                     f"this user's cgroup, so {_names([f for _, f, _ in dropped], False)} "
                     "ignored")


def drop_undelegated_limits(options: ContainerOptions) -> None:
    """At create, in rootless mode: the limits that cannot be applied are
    dropped with one warning."""
    given = [limit for limit in LIMITS if getattr(options, limit[0])]
    if not given:
        return
    dropped, warning = _undelegated(given)
    if not dropped:
        return
    sys.stderr.write(f"hullbox: warning: {warning}\n")
    for field, _, _ in dropped:
        setattr(options, field, 0)


def warn_at_start(record_config: dict[str, Any]) -> None:
    """A record made before create dropped undelegated limits: warn at start."""
    given = [limit for limit in LIMITS if record_config.get(limit[0])]
    if not given:
        return
    dropped, warning = _undelegated(given)
    if dropped:
        sys.stderr.write(f"hullbox: warning: {warning}\n")
