"""Loading a saved machine state (``-loadvm`` at a start, HMP ``loadvm`` into
a running machine), and saying in one line why it did not load.

QEMU loads a state only into the same devices it was saved from. A state saved
by a hullbox from before every machine got its PCIe root ports (cmdline.py)
finds its devices at other PCI addresses and QEMU refuses it ("Unknown savevm
section or instance"), after it has already reverted the disks to the
snapshot. So such a failure leaves the disks as in the snapshot and no usable
memory: the machine is stopped and its next start boots those disks afresh.
"""

from __future__ import annotations

from hullbox.errors import MachineFailure
from hullbox.vm import process
from hullbox.vm.layout import MachinePaths
from hullbox.vm.qmp import Monitor

#: QEMU's words for a saved device it has no counterpart for
_MISMATCH = "Unknown savevm section or instance"
#: loading gigabytes of RAM under TCG takes a while
LOAD_TIMEOUT = 600.0


class SavedStateMismatch(MachineFailure):
    """A saved state made for other devices than the machine has now."""


def is_mismatch(qemu_output: str) -> bool:
    return _MISMATCH in qemu_output


def _why(tag: str) -> str:
    return (f'snapshot "{tag}" was saved with other virtual devices (by a hullbox from '
            "before VMs had PCIe root ports) and QEMU cannot load its memory state")


def start_failure(name: str, tag: str, paths: MachinePaths) -> MachineFailure:
    """Why a QEMU started with ``-loadvm`` ended; the caller forgets the saved
    state when it is a mismatch (the disks already hold the snapshot's)."""
    try:
        said = paths.qemu_log.read_text(errors="replace")
    except OSError:
        said = ""
    if is_mismatch(said):
        return SavedStateMismatch(
            f"cannot resume VM {name}: {_why(tag)}; its disks are now as in the snapshot, "
            f"and the next 'hullbox vm start {name}' boots them afresh")
    return MachineFailure(f'cannot resume VM {name} from snapshot "{tag}": '
                          f"{process.exit_reason(paths)}")


def live_failure(name: str, tag: str) -> SavedStateMismatch:
    """A running machine that failed to load an old state, now stopped."""
    return SavedStateMismatch(
        f"cannot restore VM {name}: {_why(tag)}; the VM was stopped (its memory was half "
        f"loaded) with its disks as in the snapshot, and 'hullbox vm start {name}' boots "
        "them afresh")


def confirm_loaded(pid: int, paths: MachinePaths, name: str, tag: str) -> None:
    """Wait until the QEMU started with ``-loadvm`` has loaded the state: its
    monitor greets only then. If it ended instead, fail saying why."""
    try:
        with Monitor(paths.qmp_socket, name, timeout=LOAD_TIMEOUT) as qmp:
            qmp.execute("query-status")
        return
    except MachineFailure:
        if not process.wait_gone(pid, paths, 10):
            process.kill(pid, paths)
            raise
    raise start_failure(name, tag, paths)
