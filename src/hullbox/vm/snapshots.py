"""Snapshots inside the qcow2 system disk.

Of a running machine they hold the whole machine (disks, RAM, CPU and device
state: HMP savevm/loadvm, which QEMU runs on its own disks); of a stopped one,
the disks only (qemu-img). Restoring a full snapshot into a stopped machine
marks it "saved": the next start resumes from that state.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hullbox.errors import Conflict, InvalidArgument, MachineFailure, SnapshotNotFound
from hullbox.vm import process, qemu_img, resume
from hullbox.vm.machines import Machines
from hullbox.vm.qmp import Monitor
from hullbox.vm.records import MachineRecord

_TAG = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_SLOW = 600.0  # saving or loading gigabytes of RAM under TCG takes a while


@dataclass(frozen=True)
class Snapshot:
    """One internal snapshot as qemu reports it."""

    name: str
    vm_state_size: int      # bytes of RAM and device state; 0 for disk-only
    date: float             # when it was taken (seconds since the epoch)
    vm_clock: float         # guest run time at that moment, in seconds

    @property
    def full(self) -> bool:
        return self.vm_state_size > 0


class SnapshotOps(Machines):
    """snapshot save, ls, restore, rm."""

    def snapshots(self, ref: str) -> list[Snapshot]:
        record = self.records.get(ref)
        return self._snapshots(record, self.status(record).alive)

    def _snapshots(self, record: MachineRecord, alive: bool) -> list[Snapshot]:
        found: list[dict[str, Any]]
        if alive:
            with Monitor(self.paths(record).qmp_socket, record.name) as qmp:
                devices = qmp.execute("query-block")
            found = next((dev["inserted"].get("image", {}).get("snapshots", [])
                          for dev in devices if dev.get("device") == "disk0"), [])
        else:
            found = qemu_img.snapshots(self.paths(record).disk)
        return [Snapshot(s["name"], int(s.get("vm-state-size", 0)),
                         s.get("date-sec", 0) + s.get("date-nsec", 0) / 1e9,
                         s.get("vm-clock-sec", 0) + s.get("vm-clock-nsec", 0) / 1e9)
                for s in found]

    def _find(self, record: MachineRecord, tag: str, alive: bool) -> Snapshot:
        for snap in self._snapshots(record, alive):
            if snap.name == tag:
                return snap
        raise SnapshotNotFound(f'VM {record.name} has no snapshot "{tag}"; list them with: '
                               f"hullbox vm snapshot ls {record.name}")

    def save_snapshot(self, ref: str, tag: str) -> Snapshot:
        record = self.records.get(ref)
        if not _TAG.match(tag) or tag.isdigit():  # QEMU takes a number for a snapshot ID
            raise InvalidArgument(f"invalid snapshot name {tag!r}: use letters, digits, "
                                  "'_', '.' and '-', not a bare number")
        alive = self.status(record).alive
        if any(snap.name == tag for snap in self._snapshots(record, alive)):
            raise Conflict(f'VM {record.name} already has a snapshot "{tag}"; remove it first '
                           f"with: hullbox vm snapshot rm {record.name} {tag}")
        if alive:
            self._hmp(record, f"savevm {tag}", "save snapshot")
        else:
            for disk in self._disks(record):
                qemu_img.snapshot("create", tag, disk)
        return self._find(record, tag, alive)

    def restore_snapshot(self, ref: str, tag: str) -> Snapshot:
        record = self.records.get(ref)
        alive = self.status(record).alive
        snap = self._find(record, tag, alive)
        if alive:
            self._hmp(record, f"loadvm {tag}", "restore snapshot", lambda said: self._unloadable(
                record, tag) if resume.is_mismatch(said) else None)
        elif snap.full:
            # applied by QEMU itself at the next start (-loadvm), RAM and all
            self.records.update(record.id, saved_state=tag)
        else:
            for disk in self._disks(record):
                qemu_img.snapshot("apply", tag, disk)
            self.records.update(record.id, saved_state="")
        return snap

    def remove_snapshot(self, ref: str, tag: str) -> Snapshot:
        record = self.records.get(ref)
        alive = self.status(record).alive
        snap = self._find(record, tag, alive)
        if alive:
            self._hmp(record, f"delvm {tag}", "remove snapshot")
        else:
            for disk in self._disks(record):
                qemu_img.snapshot("delete", tag, disk)
            if record.saved_state == tag:
                self.records.update(record.id, saved_state="")
        return snap

    def _unloadable(self, record: MachineRecord, tag: str) -> None:
        """A state QEMU could not load into the running machine has left it
        paused with half its memory overwritten: nothing can run from there."""
        process.kill(record.pid, self.paths(record))
        self.ended(record)
        raise resume.live_failure(record.name, tag)

    def _disks(self, record: MachineRecord) -> list[Path]:
        """The system disk and every attached qcow2 that holds the snapshot."""
        disks = [self.paths(record).disk]
        for disk in map(Path, record.config.disks):
            if qemu_img.info(disk).get("format") == "qcow2":
                disks.append(disk)
        return disks

    def _hmp(self, record: MachineRecord, command: str, action: str,
             check: Callable[[str], None] | None = None) -> None:
        with Monitor(self.paths(record).qmp_socket, record.name) as qmp:
            output = qmp.hmp(command, timeout=_SLOW).strip()
        # HMP answers success with silence and failure with text.
        if output and check is not None:
            check(output)
        if output:
            raise MachineFailure(f"{action} of VM {record.name}: {output.splitlines()[-1]}")
