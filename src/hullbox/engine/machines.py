"""Machines as the engine runs them: the VM service (vm/), plus what a
machine coming and going on a hullbox network means to the containers there.
A container's /etc/hosts names its peers on user-defined networks; a VM on
such a network is a peer too (its lease carries its name as an alias), so
the hosts files of the containers there are rewritten when it starts and
when it stops, the way a container joining or leaving rewrites them."""

from __future__ import annotations

from collections.abc import Sequence

from hullbox.network import ipam
from hullbox.vm.records import MachineRecord
from hullbox.vm.service import MachineService


class MachineEngine(MachineService):
    """``MachineEngine(Store(root)).start("deb")``: MachineService, and the
    containers on the machine's network learn its name."""

    def start(self, ref: str, ports: Sequence[str] = (), network: str | None = None
              ) -> MachineRecord:
        record = super().start(ref, ports, network)
        self._tell_peers(record.id)
        return record

    def ended(self, record: MachineRecord, error: str = "") -> None:
        left = {lease.network_id for lease in ipam.leases_of(self.store, record.id)}
        super().ended(record, error)
        self._tell_peers(record.id, left)

    def _tell_peers(self, machine_id: str, networks: set[str] | None = None) -> None:
        """Rewrite the hosts files on the machine's networks (``networks``:
        those it just left)."""
        if networks is None:
            networks = {lease.network_id for lease in ipam.leases_of(self.store, machine_id)}
        if networks:
            # here, not at the top: most machines use user-mode NAT, and
            # container options are a heavy import for every vm command
            from hullbox.engine import netfiles, networking

            with networking.hosts_lock(self.store):
                netfiles.refresh_hosts(self.store, networks)
