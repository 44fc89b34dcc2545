"""Disks beyond the system disk: clones, exports, data disks."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from dataclasses import replace
from pathlib import Path

from hullbox.errors import Conflict, InvalidArgument
from hullbox.vm import cloudinit, hotplug, qemu_img
from hullbox.vm.cmdline import DATA_DISK_PORTS
from hullbox.vm.layout import MachinePaths
from hullbox.vm.machines import Machines
from hullbox.vm.qmp import Monitor
from hullbox.vm.records import MachineRecord
from hullbox.vm.units import parse_size


class DiskOps(Machines):
    """clone, export, disk create, attach, detach."""

    def clone(self, ref: str, name: str) -> MachineRecord:
        """A new machine with the source's hardware and current disk.

        Linked (instant) when the source has no snapshots: its disk becomes a
        read-only base and both machines get a qcow2 overlay on it. Internal
        snapshots would be stranded in such a base, so a source that has them
        is copied in full instead (the copy starts without snapshots)."""
        source = self.records.get(ref)
        self.require_stopped(source, "clone")
        if self.records.find(name) is not None:
            raise Conflict(f'the VM name "{name}" is already in use; '
                           "remove that VM or choose another name")
        source_disk = self.paths(source).disk
        machine_id = secrets.token_hex(32)
        paths = MachinePaths.of(self.store.root, machine_id)
        # data disks, port forwards and the address stay with the source: two
        # machines writing one disk would corrupt it, two forwarding one port
        # or holding one address clash
        older = list(source.config.bases)
        config = replace(source.config, disks=[], ports=[], bases=[], network_ip="")
        with contextlib.ExitStack() as undo:
            paths.dir.mkdir(parents=True, mode=0o700)
            undo.callback(shutil.rmtree, paths.dir, ignore_errors=True)
            if config.cloud_init:  # its own instance-id and hostname: cloud-init runs anew
                user_data = cloudinit.seed_user_data(self.paths(source).seed)
                cloudinit.write_seed(paths.seed, user_data, machine_id, name)
            if qemu_img.snapshots(source_disk):
                qemu_img.convert(source_disk, paths.disk)
            else:
                base = self._freeze(source, source_disk)
                undo.callback(self._thaw, source, source_disk, base)
                config.bases = [str(base), *older]
                qemu_img.create(paths.disk, 0, base=base)
            record = self.records.insert(machine_id, name, config)
            undo.pop_all()
        return record

    def _freeze(self, source: MachineRecord, disk: Path) -> Path:
        """Move the source's disk to a read-only base and give the source an
        overlay on it."""
        self.bases_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        base = self.bases_dir / f"{secrets.token_hex(16)}.qcow2"
        os.rename(disk, base)
        base.chmod(0o400)
        try:
            qemu_img.create(disk, 0, base=base)
        except BaseException:
            os.rename(base, disk)
            raise
        source.config.bases.insert(0, str(base))
        self.records.update(source.id, config=source.config)
        return base

    def _thaw(self, source: MachineRecord, disk: Path, base: Path) -> None:
        """Undo ``_freeze``: the base becomes the source's disk again."""
        base.chmod(0o600)
        os.replace(base, disk)
        source.config.bases.remove(str(base))
        self.records.update(source.id, config=source.config)

    def export(self, ref: str, target: str) -> Path:
        """A standalone image of the machine's current disk (its chain
        flattened, no snapshots): qcow2, or raw for .raw/.img."""
        record = self.records.get(ref)
        self.require_stopped(record, "export")
        out = Path(target).expanduser().absolute()
        if not out.parent.is_dir():
            raise InvalidArgument(f"export to {target}: directory {out.parent} does not exist")
        fmt = "raw" if out.suffix in (".raw", ".img") else "qcow2"
        partial = out.with_name(f".{out.name}.partial")
        try:
            qemu_img.convert(self.paths(record).disk, partial, output_format=fmt)
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
        return out

    def create_disk(self, target: str, size: str) -> Path:
        out = Path(target).expanduser().absolute()
        if out.exists():
            raise Conflict(f"disk {target} already exists; choose another path")
        if not out.parent.is_dir():
            raise InvalidArgument(f"disk {target}: directory {out.parent} does not exist")
        qemu_img.create(out, parse_size(size, "disk size"))
        return out

    def attach_disk(self, ref: str, disk: str) -> MachineRecord:
        """Add a data disk: at the next start, or now to a running machine."""
        record = self.records.get(ref)
        alive = self._require_not_saved(record, "attach a disk to")
        path = str(Path(disk).expanduser().absolute())
        info = qemu_img.check_image(Path(path), "disk")
        for other in self.records.all():
            if path in other.config.disks:
                raise Conflict(f"disk {disk} is already attached to VM {other.name}; "
                               f"detach it first with: hullbox vm disk detach {other.name} {disk}")
        if not alive and len(record.config.disks) >= DATA_DISK_PORTS:
            raise Conflict(f"VM {record.name} has {DATA_DISK_PORTS} data disks, the most it "
                           "takes; detach one first")
        if alive:
            with Monitor(self.paths(record).qmp_socket, record.name) as qmp:
                hotplug.attach(qmp, record.name, path, str(info.get("format", "raw")))
        record.config.disks.append(path)
        self.records.update(record.id, config=record.config)
        return record

    def detach_disk(self, ref: str, disk: str) -> MachineRecord:
        """Take a data disk away (the file stays); from a running machine once
        its guest has let go of it."""
        record = self.records.get(ref)
        alive = self._require_not_saved(record, "detach a disk from")
        path = str(Path(disk).expanduser().absolute())
        if path not in record.config.disks:
            raise InvalidArgument(f"disk {disk} is not attached to VM {record.name}; "
                                  f"see its disks with: hullbox vm inspect {record.name}")
        if alive:
            if record.state == "paused":
                raise Conflict(f"cannot detach a disk from VM {record.name} while it is paused: "
                               f"its guest must let go of it; resume it with: "
                               f"hullbox vm resume {record.name}")
            with Monitor(self.paths(record).qmp_socket, record.name) as qmp:
                hotplug.detach(qmp, record.name, path)
        record.config.disks.remove(path)
        self.records.update(record.id, config=record.config)
        return record

    def _require_not_saved(self, record: MachineRecord, action: str) -> bool:
        """Whether the machine runs. A stopped one that resumes from a saved
        state must keep its disks: that state has them plugged in."""
        alive = self.status(record).alive
        if not alive and record.saved_state:
            raise Conflict(f"cannot {action} VM {record.name}: it resumes from snapshot "
                           f"{record.saved_state!r} at its next start, which holds its "
                           "disks as they were; start it, then change its disks while it runs")
        return alive
