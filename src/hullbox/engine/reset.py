"""``hullbox system reset``: everything a store made, undone, as Podman's
``system reset`` does: containers (killed first), VMs, networks with their
bridges and nftables rules, volumes, images, and every mount left under the
root; then the root is emptied, so the next command starts a new store.

What lives outside the root (bridges, nftables elements, cgroups, runtime
state under /run) is removed through the same code as ``rm -f`` and
``network rm``, so a reset also proves those leave nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from hullbox.errors import HullboxError

if TYPE_CHECKING:
    from hullbox.engine.engine import Engine


@dataclass
class ResetReport:
    """What went, by kind, and one line per thing that could not be removed."""

    containers: list[str] = field(default_factory=list)
    machines: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    unmounted: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def reset(engine: Engine) -> ResetReport:
    """Remove everything of ``engine``'s store and empty its root; goes on
    past a failure (each is in ``failures``)."""
    report = ResetReport()
    _remove_containers(engine, report)
    _remove_machines(engine, report)
    _remove_networks(engine, report)
    for volume in engine.volumes.list():
        if _attempt(report, f"remove volume {volume.name}",
                    partial(engine.volumes.remove, volume.name, force=True)):
            report.volumes.append(volume.name)
    report.images = [image.id for image in engine.images.list()]
    root = engine.store.root
    engine.close()
    report.unmounted = unmount_all_under(root)
    _empty(root, report)
    from hullbox.network import bridge

    # The store's database is gone now: a bridge whose removal failed above
    # is an orphan that any store's next network command removes; try now.
    _attempt(report, "remove the bridges of deleted stores", bridge.sweep_orphans)
    return report


def _attempt(report: ResetReport, what: str, action: Callable[[], object]) -> bool:
    try:
        action()
    except (HullboxError, OSError) as exc:
        report.failures.append(f"{what}: {exc}")
        return False
    return True


def _remove_containers(engine: Engine, report: ResetReport) -> None:
    for record in engine.containers.list(all=True):
        if _attempt(report, f"remove container {record.name}",
                    partial(engine.containers.remove, record.id, force=True,
                            volumes=True)):
            report.containers.append(record.id)


def _remove_machines(engine: Engine, report: ResetReport) -> None:
    from hullbox.vm.service import MachineService

    machines = MachineService(engine.store)
    for view in machines.list():
        if _attempt(report, f"remove VM {view.record.name}",
                    partial(machines.remove, view.record.id, force=True)):
            report.machines.append(view.record.name)


def _remove_networks(engine: Engine, report: ResetReport) -> None:
    """Every network, the default one too (its bridge is this store's)."""
    from hullbox.network import bridge, ipam

    for network in ipam.list_networks(engine.store):
        def remove(network: ipam.Network = network) -> None:
            if bridge.exists(network.bridge):
                bridge.remove_bridge(network.id, network.bridge, bridge.subnets(network))
            ipam.delete_network(engine.store, network.id)

        if _attempt(report, f"remove network {network.name}", remove):
            report.networks.append(network.name)


def mounts_under(root: Path) -> list[str]:
    """Mount points at or below ``root`` in this mount namespace, deepest first."""
    prefix = os.path.realpath(root)
    found = []
    with open("/proc/self/mountinfo") as info:
        for line in info:
            # mountinfo escapes space, tab, newline and backslash as octal.
            point = line.split()[4].encode().decode("unicode_escape")
            if point == prefix or point.startswith(prefix + "/"):
                found.append(point)
    return sorted(set(found), key=len, reverse=True)


def unmount_all_under(root: Path) -> list[str]:
    """Detach every mount below ``root`` (never ``root`` itself: it may be
    the user's own file system), so emptying it cannot reach into one."""
    from hullbox.linux import mounts

    detached = []
    for point in mounts_under(root):
        if point == os.path.realpath(root):
            continue
        with contextlib.suppress(OSError):
            mounts.umount(point, mounts.MNT_DETACH)
            detached.append(point)
    return detached


def _empty(root: Path, report: ResetReport) -> None:
    """Delete what is inside ``root``; the directory itself stays (it may be
    a mount point or one the user made with its own mode)."""
    if not root.is_dir():
        return
    left = [p for p in mounts_under(root) if p != os.path.realpath(root)]
    if left:  # never delete through a mount that would not go
        report.failures.append(f"empty {root}: still mounted: {', '.join(left)}")
        return
    for entry in root.iterdir():
        try:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except OSError as exc:
            report.failures.append(f"delete {entry}: {exc.strerror}")
