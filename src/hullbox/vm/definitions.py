"""Defining machines: create, modify, remove, list, inspect."""

from __future__ import annotations

import contextlib
import re
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hullbox.errors import Conflict, InvalidArgument
from hullbox.vm import bridged, cloudinit, process, qemu_img
from hullbox.vm.config import MachineConfig, PortForward
from hullbox.vm.layout import MachinePaths
from hullbox.vm.machines import Machines, MachineStatus
from hullbox.vm.records import MachineRecord
from hullbox.vm.units import human_bytes, parse_cpus, parse_memory_mib, parse_size

_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
DEFAULT_DISK = 10 << 30


@dataclass
class MachineSpec:
    """What ``vm create`` was asked for, as typed."""

    name: str
    cpus: int = 1
    memory: str = "512M"
    disk: str | None = None
    kernel: str | None = None
    initrd: str | None = None
    append: str = ""
    image: str | None = None
    iso: str | None = None
    ports: Sequence[str] = ()
    cloud_init: str | None = None   # a user-data file for a NoCloud seed
    network: str = ""               # a hullbox network; '' or "user": user-mode NAT


@dataclass
class MachineView:
    """A machine and its live status, for ls and inspect."""

    record: MachineRecord
    status: MachineStatus
    networks: dict[str, Any] = field(default_factory=dict)  # its leases while it runs

    def to_inspect(self) -> dict[str, Any]:
        record, config = self.record, self.record.config
        return {
            "Id": record.id, "Name": record.name, "Created": record.created,
            "State": {"Status": self.status.state, "Running": self.status.state == "running",
                      "Paused": self.status.state == "paused", "Pid": record.pid,
                      "StartedAt": record.started, "FinishedAt": record.finished,
                      "Error": self.status.error, "SavedState": record.saved_state},
            "Config": {"Cpus": config.cpus, "MemoryMiB": config.memory_mib,
                       "DiskSize": config.disk_size, "Kernel": config.kernel,
                       "Initrd": config.initrd, "Append": config.append, "Iso": config.iso,
                       "Image": config.image, "Bases": config.bases, "Disks": config.disks,
                       "Ports": [str(port) for port in config.ports],
                       "CloudInit": config.cloud_init,
                       "Network": config.network or bridged.USER_NETWORK},
            "NetworkSettings": {"Networks": self.networks},
        }


def _absolute_file(value: str, what: str) -> str:
    path = Path(value).expanduser().absolute()
    if not path.is_file():
        raise InvalidArgument(f"{what} {value}: no such file")
    return str(path)


class DefinitionOps(Machines):
    """create, modify, rm, ls, inspect."""

    def create(self, spec: MachineSpec) -> MachineRecord:
        """Check everything first, then make the disk and the row; a failure
        leaves neither."""
        config = self._validate(spec)
        user_data = cloudinit.read_user_data(spec.cloud_init) if spec.cloud_init else None
        machine_id = secrets.token_hex(32)
        paths = MachinePaths.of(self.store.root, machine_id)
        with contextlib.ExitStack() as undo:
            paths.dir.mkdir(parents=True, mode=0o700)
            undo.callback(shutil.rmtree, paths.dir, ignore_errors=True)
            self._make_system_disk(spec, config, paths.disk)
            if user_data is not None:
                config.cloud_init = str(Path(str(spec.cloud_init)).expanduser().absolute())
                cloudinit.write_seed(paths.seed, user_data, machine_id, spec.name)
            record = self.records.insert(machine_id, spec.name, config)
            undo.pop_all()
        return record

    def _validate(self, spec: MachineSpec) -> MachineConfig:
        if not _NAME.match(spec.name):
            raise InvalidArgument(f"invalid VM name {spec.name!r}: use letters, digits, "
                                  "'_', '.' and '-', starting with a letter or digit")
        if self.records.find(spec.name) is not None:
            raise Conflict(f'the VM name "{spec.name}" is already in use; '
                           "remove that VM or choose another name")
        if (spec.initrd or spec.append) and not spec.kernel:
            raise InvalidArgument("--initrd and --append need --kernel")
        config = MachineConfig(cpus=parse_cpus(spec.cpus), memory_mib=parse_memory_mib(spec.memory),
                               append=spec.append,
                               ports=[PortForward.parse(port) for port in spec.ports])
        if spec.kernel:
            config.kernel = _absolute_file(spec.kernel, "--kernel")
        if spec.initrd:
            config.initrd = _absolute_file(spec.initrd, "--initrd")
        if spec.iso:
            config.iso = _absolute_file(spec.iso, "--iso")
            if not qemu_img.is_iso9660(Path(config.iso)):
                raise InvalidArgument(f"--iso {spec.iso} is not an ISO 9660 image "
                                      "(no CD001 volume descriptor)")
        if spec.image:
            config.image = _absolute_file(spec.image, "--image")
        config.disk_size = parse_size(spec.disk, "--disk") if spec.disk else 0
        bridged.check_network(self.store, spec.network)
        config.network = "" if spec.network == bridged.USER_NETWORK else spec.network
        return config

    def _make_system_disk(self, spec: MachineSpec, config: MachineConfig, disk: Path) -> None:
        if not config.image:
            config.disk_size = config.disk_size or DEFAULT_DISK
            qemu_img.create(disk, config.disk_size)
            return
        info = qemu_img.check_image(Path(config.image), "--image")
        size = int(info.get("virtual-size", 0))
        if config.disk_size and config.disk_size < size:
            raise InvalidArgument(f"--disk {spec.disk} is smaller than the image "
                                  f"({human_bytes(size)}); give at least that")
        qemu_img.convert(Path(config.image), disk, str(info.get("format", "")) or None)
        if config.disk_size > size:
            qemu_img.resize(disk, config.disk_size)
        config.disk_size = max(config.disk_size, size)

    def modify(self, ref: str, cpus: int | None = None, memory: str | None = None) -> MachineRecord:
        record = self.records.get(ref)
        self.require_stopped(record, "modify")
        if cpus is not None:
            record.config.cpus = parse_cpus(cpus)
        if memory is not None:
            record.config.memory_mib = parse_memory_mib(memory)
        self.records.update(record.id, config=record.config)
        return record

    def remove(self, ref: str, force: bool = False) -> MachineRecord:
        record = self.records.get(ref)
        paths = self.paths(record)
        if self.status(record).alive:
            if not force:
                raise Conflict(f"cannot remove VM {record.name}: it is running; stop it "
                               f"first or use: hullbox vm rm -f {record.name}")
            process.kill(record.pid, paths)
            self.ended(record)
        self.records.delete(record.id)
        shutil.rmtree(paths.dir, ignore_errors=True)
        in_use = {base for other in self.records.all() for base in other.config.bases}
        for base in set(record.config.bases) - in_use:
            Path(base).unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # only when no base is left in it
            self.bases_dir.rmdir()
        return record

    def list(self) -> list[MachineView]:
        return [self._view(record) for record in self.records.all()]

    def inspect(self, ref: str) -> MachineView:
        return self._view(self.records.get(ref))

    def _view(self, record: MachineRecord) -> MachineView:
        status = self.status(record)
        networks = bridged.settings(self.store, record.id) if status.alive else {}
        return MachineView(record, status, networks)
