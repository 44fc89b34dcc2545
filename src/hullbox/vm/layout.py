"""Where a machine's files live in the store.

    ROOT/machines/accel.json         the cached KVM-or-TCG probe result
    ROOT/machines/ID12/disk.qcow2    the system disk (snapshots live inside it)
    ROOT/machines/ID12/qmp.sock      QEMU's QMP monitor
    ROOT/machines/ID12/console.sock  the serial console (one client at a time)
    ROOT/machines/ID12/console.log   everything the guest wrote to its console
    ROOT/machines/ID12/qemu.log      QEMU's own stdout and stderr
    ROOT/machines/ID12/seed.iso      the cloud-init NoCloud seed (--cloud-init)

The directory is named by the first 12 hex digits of the ID, so the socket
paths stay within the 107 bytes a unix socket address allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hullbox.errors import StoreError

_SUN_PATH_MAX = 107


def machines_dir(root: Path) -> Path:
    return root / "machines"


def accel_cache(root: Path) -> Path:
    return machines_dir(root) / "accel.json"


@dataclass(frozen=True)
class MachinePaths:
    """The files of one machine."""

    dir: Path

    @classmethod
    def of(cls, root: Path, machine_id: str) -> MachinePaths:
        paths = cls(machines_dir(root) / machine_id[:12])
        if len(str(paths.console_socket)) > _SUN_PATH_MAX:
            raise StoreError(f"store root {root} is too long for unix sockets "
                             f"({_SUN_PATH_MAX} bytes); use a shorter --root")
        return paths

    @property
    def disk(self) -> Path:
        return self.dir / "disk.qcow2"

    @property
    def qmp_socket(self) -> Path:
        return self.dir / "qmp.sock"

    @property
    def console_socket(self) -> Path:
        return self.dir / "console.sock"

    @property
    def console_log(self) -> Path:
        return self.dir / "console.log"

    @property
    def qemu_log(self) -> Path:
        return self.dir / "qemu.log"

    @property
    def seed(self) -> Path:
        return self.dir / "seed.iso"
