"""Running machines: start, stop, kill, pause, resume."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Sequence
from pathlib import Path

from hullbox.errors import Conflict, InvalidArgument, MachineFailure
from hullbox.vm import bridged, cloudinit, dhcp, process, published, qemu_img, resume
from hullbox.vm.accel import host_tsc_khz
from hullbox.vm.cmdline import qemu_argv
from hullbox.vm.config import PortForward
from hullbox.vm.machines import Machines
from hullbox.vm.qmp import Monitor
from hullbox.vm.records import MachineRecord


class LifecycleOps(Machines):
    """start, stop, kill, pause, resume."""

    def start(self, ref: str, ports: Sequence[str] = (), network: str | None = None
              ) -> MachineRecord:
        """Launch QEMU detached. ``ports`` are added to the machine's forwards
        and ``network`` replaces its network (both kept for later starts)
        once QEMU is up."""
        record = self.records.get(ref)
        if self.status(record).alive:
            raise Conflict(f"VM {record.name} is already running")
        config = record.config
        for port in (PortForward.parse(spec) for spec in ports):
            if port not in config.ports:
                config.ports.append(port)
        if network is not None:
            config.network = "" if network == bridged.USER_NETWORK else network
        bridged.check_network(self.store, config.network)
        self._check_files(record)
        self._check_ports(record)
        paths = self.paths(record)
        accel = self.accel(config.kernel)
        formats = {disk: str(qemu_img.info(Path(disk)).get("format", "raw"))
                   for disk in config.disks}
        with contextlib.ExitStack() as undo, contextlib.ExitStack() as held:
            endpoint, reserved = None, []
            if config.network:
                reserved = published.reserve(config.ports, held)
                endpoint = bridged.lease(self.store, record)
                undo.callback(dhcp.sync, self.store, endpoint.network.id)
                undo.callback(bridged.release, self.store, record.id)
                config.network_ip = endpoint.lease.address
                dhcp.sync(self.store, endpoint.network.id)
            if config.cloud_init:
                cloudinit.refresh_seed(paths.seed, record.id, record.name,
                                       endpoint.network_config() if endpoint else None)
            argv = qemu_argv(record.name, config, paths, accel, host_tsc_khz(),
                             record.saved_state, formats,
                             endpoint.nic(record.name) if endpoint else None)
            pid = process.launch(argv, paths, record.name,
                                 keep_fds=[sock.fileno() for sock in reserved])
            if record.saved_state:
                self._resumed(record, pid)
            if endpoint is not None:  # QEMU waits (-S) for its tap to be plugged in
                undo.callback(process.kill, pid, paths)
                undo.callback(published.unpublish, self.store, record.id)
                published.publish(self.store, record.id, config.ports, endpoint.lease.address)
                # QMP greets once QEMU's set-up is done, and so the tap made
                with Monitor(paths.qmp_socket, record.name) as qmp:
                    bridged.plug(endpoint)
                    qmp.execute("cont")
            self.records.update(record.id, state="running", pid=pid, started=time.time(),
                                error="", saved_state="", config=config)
            undo.pop_all()
        return self.records.get(record.id)

    def _resumed(self, record: MachineRecord, pid: int) -> None:
        """The saved state loaded; one that cannot is forgotten (QEMU has
        already put the snapshot's disks back), so the next start boots."""
        try:
            resume.confirm_loaded(pid, self.paths(record), record.name, record.saved_state)
        except resume.SavedStateMismatch:
            self.records.update(record.id, saved_state="")
            raise

    def _check_files(self, record: MachineRecord) -> None:
        config = record.config
        wanted = [("kernel", config.kernel), ("initrd", config.initrd), ("ISO", config.iso),
                  *(("base disk", base) for base in config.bases),
                  *(("disk", disk) for disk in config.disks),
                  ("cloud-init seed", str(self.paths(record).seed) if config.cloud_init else "")]
        for what, path in wanted:
            if path and not Path(path).is_file():
                raise InvalidArgument(f"cannot start VM {record.name}: its {what} {path} "
                                      "does not exist")

    def _check_ports(self, record: MachineRecord) -> None:
        """A host port forwarded by another running VM, or bound by anything
        else, is refused before QEMU is launched."""
        for other in self.records.all():
            if other.id == record.id or not self.status(other).alive:
                continue
            for mine in record.config.ports:
                for theirs in other.config.ports:
                    if mine.clashes_with(theirs):
                        raise Conflict(f"cannot start VM {record.name}: host port "
                                       f"{mine.host_ip}:{mine.host_port}/{mine.proto} is "
                                       f"already forwarded to VM {other.name}")
        for port in record.config.ports:
            kind = socket.SOCK_STREAM if port.proto == "tcp" else socket.SOCK_DGRAM
            with socket.socket(socket.AF_INET, kind) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind((port.host_ip, port.host_port))
                except OSError as exc:
                    raise Conflict(f"cannot start VM {record.name}: host port "
                                   f"{port.host_ip}:{port.host_port}/{port.proto}: "
                                   f"{exc.strerror}") from None

    def stop(self, ref: str, timeout: float = 10) -> bool:
        """ACPI power button; after ``timeout`` seconds QEMU is told to quit
        (and killed if it does not). True if the guest shut down by itself."""
        record = self.records.get(ref)
        if not self.status(record).alive:
            return True
        paths = self.paths(record)
        self.records.update(record.id, state="stopping")
        # QEMU may exit while we talk to it: that is the goal.
        with contextlib.suppress(MachineFailure), Monitor(paths.qmp_socket, record.name) as qmp:
            if record.state == "paused":
                qmp.execute("cont")
            qmp.execute("system_powerdown")
        graceful = process.wait_gone(record.pid, paths, timeout)
        if not graceful:
            with contextlib.suppress(MachineFailure), \
                    Monitor(paths.qmp_socket, record.name, timeout=5) as qmp:
                qmp.execute("quit")
            if not process.wait_gone(record.pid, paths, 5):
                process.kill(record.pid, paths)
        self.ended(record)
        return graceful

    def kill(self, ref: str) -> MachineRecord:
        """Pull the plug (SIGKILL)."""
        record = self.records.get(ref)
        self.require_running(record, "kill")
        self.records.update(record.id, state="stopping")
        process.kill(record.pid, self.paths(record))
        self.ended(record)
        return record

    def pause(self, ref: str) -> MachineRecord:
        return self._run_state(ref, "stop", "paused")

    def resume(self, ref: str) -> MachineRecord:
        return self._run_state(ref, "cont", "running")

    def _run_state(self, ref: str, command: str, state: str) -> MachineRecord:
        record = self.records.get(ref)
        self.require_running(record, "pause" if command == "stop" else "resume")
        with Monitor(self.paths(record).qmp_socket, record.name) as qmp:
            qmp.execute(command)
        self.records.update(record.id, state=state)
        return record
