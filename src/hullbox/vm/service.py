"""``MachineService``: every machine verb on one store, for the CLI and API."""

from __future__ import annotations

from hullbox.vm.definitions import DefinitionOps
from hullbox.vm.disks import DiskOps
from hullbox.vm.lifecycle import LifecycleOps
from hullbox.vm.snapshots import SnapshotOps


class MachineService(DefinitionOps, LifecycleOps, SnapshotOps, DiskOps):
    """``MachineService(Store(root)).create(MachineSpec("deb", disk="10G"))``."""
