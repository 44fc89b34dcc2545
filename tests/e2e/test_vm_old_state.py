"""A machine state saved by a hullbox from before VMs had PCIe root ports
cannot be loaded by QEMU into today's devices: ``vm start`` and ``vm snapshot
restore`` of it say so in one line, exit 125, and leave no QEMU behind.

The old hullbox is played here by the QEMU command line of today without its
root ports, which is what the old one ran; the state it saves is real."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hullbox.store.store import Store
from hullbox.vm import process
from hullbox.vm.accel import host_tsc_khz
from hullbox.vm.cmdline import qemu_argv
from hullbox.vm.lifecycle import LifecycleOps
from hullbox.vm.qmp import Monitor

from .conftest import Hullbox
from .vm_guest import READY, guest_files, machine_store, wait_for_log

pytestmark = pytest.mark.slow

WHY = ('snapshot "before" was saved with other virtual devices (by a hullbox from '
       "before VMs had PCIe root ports) and QEMU cannot load its memory state")


@pytest.fixture(scope="module")
def vmbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hullbox]:
    yield from machine_store(tmp_path_factory)


def _without_root_ports(argv: list[str]) -> list[str]:
    kept: list[str] = []
    for index, word in enumerate(argv):
        if word.startswith("pcie-root-port") or (
                word == "-device" and argv[index + 1].startswith("pcie-root-port")):
            continue
        kept.append(word)
    return kept


def _save_as_an_old_hullbox(root: Path, name: str) -> None:
    """Boot the machine as the old hullbox did and save its full state."""
    ops = LifecycleOps(Store(root))
    record = ops.records.get(name)
    paths = ops.paths(record)
    argv = qemu_argv(name, record.config, paths, ops.accel(record.config.kernel),
                     host_tsc_khz())
    old = _without_root_ports(argv)
    assert len(old) == len(argv) - 16  # eight "-device pcie-root-port,..." gone
    pid = process.launch(old, paths, name)
    try:
        wait_for_log(paths.console_log, READY)
        with Monitor(paths.qmp_socket, name) as qmp:
            assert qmp.hmp("savevm before", timeout=600).strip() == ""
            qmp.execute("quit")
        assert process.wait_gone(pid, paths, 30)
    finally:
        process.kill(pid, paths)


def _qemus_of(machine_id: str) -> list[str]:
    found = subprocess.run(["pgrep", "-f", f"machines/{machine_id[:12]}/qmp"],
                           capture_output=True, text=True, check=False)
    return found.stdout.split()


def _refused(vmbox: Hullbox, *args: str) -> str:
    result = vmbox(*args, timeout=600)
    assert result.returncode == 125, result
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def _boots(vmbox: Hullbox, log: Path) -> int:
    return log.read_text(errors="replace").count(READY) if log.exists() else 0


def test_old_saved_state_at_start_and_live_restore(vmbox: Hullbox,
                                                   tmp_path: Path) -> None:
    kernel, initrd = guest_files(tmp_path)
    vmbox.ok("vm", "create", "old", "--memory", "256M", "--disk", "1G", "--kernel",
             str(kernel), "--initrd", str(initrd), "--append", "quiet")
    machine_id = json.loads(vmbox.ok("vm", "inspect", "old"))[0]["Id"]
    log = vmbox.root / "machines" / machine_id[:12] / "console.log"
    _save_as_an_old_hullbox(vmbox.root, "old")
    assert vmbox.ok("vm", "snapshot", "ls", "--format", "{{.Name}} {{.Kind}}", "old") == (
        "before full\n")

    # a stopped machine told to resume from it
    vmbox.ok("vm", "snapshot", "restore", "old", "before")
    assert vmbox.ok("vm", "inspect", "-f", "{{.State.Status}}", "old") == "saved\n"
    assert _refused(vmbox, "vm", "start", "old") == (
        f"hullbox: cannot resume VM old: {WHY}; its disks are now as in the snapshot, "
        "and the next 'hullbox vm start old' boots them afresh\n")
    assert _qemus_of(machine_id) == []
    assert vmbox.ok("vm", "ls", "--format", "{{.State}}") == "stopped\n"

    # which it does
    booted = _boots(vmbox, log)
    vmbox.ok("vm", "start", "old")
    deadline = time.monotonic() + 180
    while _boots(vmbox, log) == booted:
        assert time.monotonic() < deadline, "the machine did not boot afresh"
        time.sleep(0.5)

    # a running machine told to load it
    assert _refused(vmbox, "vm", "snapshot", "restore", "old", "before") == (
        f"hullbox: cannot restore VM old: {WHY}; the VM was stopped (its memory was half "
        "loaded) with its disks as in the snapshot, and 'hullbox vm start old' boots "
        "them afresh\n")
    assert _qemus_of(machine_id) == []
    assert vmbox.ok("vm", "ls", "--format", "{{.State}}") == "stopped\n"
