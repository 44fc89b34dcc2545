"""Data disks added to and taken from a running machine, over QMP.

Attach: ``blockdev-add`` opens the file, ``device_add`` plugs a virtio disk
into a free PCIe root port (every machine gets DATA_DISK_PORTS of them at
start); the guest's PCIe hotplug driver finds it. Detach: ``device_del``
asks the guest to let go (it presses the slot's attention button, which a
Linux guest answers after five seconds), QEMU says DEVICE_DELETED once the
guest has, then ``blockdev-del`` closes the file.
"""

from __future__ import annotations

from typing import Any

from hullbox.errors import Conflict, MachineFailure
from hullbox.vm.cmdline import DATA_DISK_PORTS, data_disk_id, data_disk_port
from hullbox.vm.qmp import Monitor

#: how long a guest may take to release a disk (TCG guests are slow)
RELEASE_TIMEOUT = 90.0


def free_port(qmp: Monitor) -> str | None:
    """The first of the machine's data-disk root ports with nothing plugged in."""
    occupied: dict[str, bool] = {}
    for bus in qmp.execute("query-pci"):
        for device in bus.get("devices", []):
            bridge: dict[str, Any] | None = device.get("pci_bridge")
            if bridge is not None and device.get("qdev_id"):
                occupied[device["qdev_id"]] = bool(bridge.get("devices"))
    for index in range(DATA_DISK_PORTS):
        port = data_disk_port(index)
        if occupied.get(port) is False:
            return port
    return None


def attach(qmp: Monitor, machine: str, path: str, disk_format: str) -> None:
    port = free_port(qmp)
    if port is None:
        raise Conflict(f"VM {machine} has no free slot for another disk (it has "
                       f"{DATA_DISK_PORTS}); detach one first")
    node = data_disk_id(path)
    qmp.execute("blockdev-add", {"node-name": node, "driver": disk_format,
                                 "file": {"driver": "file", "filename": path}})
    try:
        qmp.execute("device_add", {"driver": "virtio-blk-pci", "drive": node, "id": node,
                                   "bus": port})
    except MachineFailure:
        qmp.execute("blockdev-del", {"node-name": node})
        raise


def detach(qmp: Monitor, machine: str, path: str, timeout: float = RELEASE_TIMEOUT) -> None:
    node = data_disk_id(path)
    # a device an earlier detach asked for may be gone already
    if node in _devices(qmp) and not qmp.execute_and_wait(
            "device_del", {"id": node}, "DEVICE_DELETED", {"device": node}, timeout):
        raise MachineFailure(f"the guest of VM {machine} did not release disk {path} in "
                             f"{timeout:.0f}s (its OS must be up and handle PCIe hotplug); "
                             "try again, or stop the VM and detach it then")
    qmp.execute("blockdev-del", {"node-name": node})


def _devices(qmp: Monitor) -> set[str]:
    """The ids of the devices hullbox added (QEMU's /machine/peripheral)."""
    children = qmp.execute("qom-list", {"path": "/machine/peripheral"})
    return {child["name"] for child in children if child["type"].startswith("child<")}
