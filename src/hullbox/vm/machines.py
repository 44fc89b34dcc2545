"""What every machine verb shares: the store, the rows, the files, and the
current state reconciled with the QEMU process behind it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from hullbox.errors import Conflict
from hullbox.network import ipam
from hullbox.store.store import Store
from hullbox.vm import dhcp, process, published
from hullbox.vm.accel import Accel, detect_accel
from hullbox.vm.kernel import guest_kernel_path
from hullbox.vm.layout import MachinePaths, accel_cache, machines_dir
from hullbox.vm.records import MachineRecord, MachineRecords


@dataclass(frozen=True)
class MachineStatus:
    """``state`` is running, paused, stopped or saved (stopped, resumes from a
    saved state); ``error`` says why QEMU ended when no one asked it to."""

    state: str
    error: str

    @property
    def alive(self) -> bool:
        return self.state in ("running", "paused")


class Machines:
    """Base of the machine services: lookups and state."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.records = MachineRecords(store)

    def paths(self, record: MachineRecord) -> MachinePaths:
        return MachinePaths.of(self.store.root, record.id)

    @property
    def bases_dir(self) -> Path:
        """Frozen disks that clones (and their source) are overlays on."""
        return machines_dir(self.store.root) / "bases"

    def accel(self, kernel: str = "") -> Accel:
        """KVM or TCG for a guest; probed with the guest kernel (the machine's own
        when it boots one), cached in the store."""
        probe = Path(kernel) if kernel else guest_kernel_path()
        return detect_accel(probe if probe.is_file() else None, accel_cache(self.store.root))

    def status(self, record: MachineRecord) -> MachineStatus:
        """The live state; a QEMU that died unasked is recorded as stopped with
        the reason from its logs."""
        if record.state in ("running", "paused", "stopping"):
            if process.is_alive(record.pid, self.paths(record)):
                return MachineStatus("running" if record.state == "stopping" else record.state,
                                     "")
            error = "" if record.state == "stopping" else (
                process.exit_reason(self.paths(record)) or "qemu exited")
            self.ended(record, error)
        return MachineStatus("saved" if record.saved_state else "stopped", record.error)

    def ended(self, record: MachineRecord, error: str = "") -> None:
        """Record that the machine's QEMU is gone (``error``: why, when no one
        asked), and give back its address and published ports on its network."""
        record.state, record.pid, record.error = "stopped", 0, error
        record.finished = time.time()
        self.records.update(record.id, state="stopped", pid=0, finished=record.finished,
                            error=error)
        published.unpublish(self.store, record.id)
        networks = {lease.network_id for lease in ipam.leases_of(self.store, record.id)}
        ipam.release(self.store, record.id)
        for network_id in networks:  # its DHCP server stops with the last machine
            dhcp.sync(self.store, network_id)

    def require_stopped(self, record: MachineRecord, action: str) -> None:
        if self.status(record).alive:
            raise Conflict(f"cannot {action} VM {record.name}: it is running; "
                           f"stop it first with: hullbox vm stop {record.name}")

    def require_running(self, record: MachineRecord, action: str) -> None:
        if not self.status(record).alive:
            raise Conflict(f"cannot {action} VM {record.name}: it is not running; "
                           f"start it with: hullbox vm start {record.name}")
