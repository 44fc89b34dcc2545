"""A kept container's start from a snapshot.

A ``--rm`` run's writes go to the guest's RAM; a kept container's go to its
own upper disk (rootdisk.upper_disk), which the guest mounts as the upper
layer of an overlay on the image's disk. Mounting it after the restore is
most of such a start under TCG, so, per image snapshot, a second snapshot
has an empty upper disk mounted already:

    ROOT/microvm/images/KEY/kept/ram          the guest RAM, upper disk mounted
    ROOT/microvm/images/KEY/kept/state        device and CPU state
    ROOT/microvm/images/KEY/kept/upper.ext4   the upper disk as it was saved

A container's first start copies ``upper.ext4`` as its own disk and
restores this snapshot: the disk is what the saved guest had mounted, so it
mounts nothing. Later starts find the disk changed by the runs before, and
restore the image snapshot and mount it (guest.py's mount_upper), after the
host has replayed its journal (the guest is never shut down cleanly).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

from hullbox.errors import MachineFailure
from hullbox.vm.micro.guest import mount_upper_script
from hullbox.vm.micro.imagesnap import copy_sparse, restore_run_save
from hullbox.vm.micro.machine import GuestSpec
from hullbox.vm.micro.rootdisk import make_upper_disk
from hullbox.vm.micro.template import build_once

UPPER_DISK = "vm-upper.ext4"


def kept_spec(image: GuestSpec, container_dir: Path) -> GuestSpec:
    """The spec of a kept container's start from ``image`` (an image
    snapshot's spec): its upper disk made on its first start, from the
    snapshot that has it mounted."""
    disk = container_dir / UPPER_DISK
    if disk.is_file():
        replay_journal(disk)
        return replace(image, upper=str(disk))
    kept = ensure_kept_snapshot(image)
    partial = disk.with_name(f".{disk.name}.partial")
    try:
        copy_sparse(Path(kept.upper), partial)
        partial.rename(disk)
    finally:
        partial.unlink(missing_ok=True)
    return replace(kept, upper=str(disk))


def ensure_kept_snapshot(image: GuestSpec) -> GuestSpec:
    """The first-start snapshot next to an image snapshot, made if missing."""
    final = Path(image.state_file).parent / "kept"
    spec = replace(image, ram_file=str(final / "ram"), state_file=str(final / "state"),
                   upper=str(final / "upper.ext4"), upper_mounted=True)

    def make(work: Path) -> None:
        copy_sparse(Path(image.ram_file), work / "ram")
        make_upper_disk(work / "upper.ext4")
        restore_run_save(image.state_file,
                         replace(spec, ram_file=str(work / "ram"), state_file=str(work / "state"),
                                 upper=str(work / "upper.ext4"),
                                 console_log=str(work / "console.log")),
                         mount_upper_script(), work, "mount a container's disk")

    build_once(final, make)
    return spec


def replay_journal(disk: Path) -> None:
    """The guest's QEMU is ended, never its file systems unmounted: replay the
    disk's journal on the host, where it is quick, not in the guest."""
    if shutil.which("e2fsck") is None:
        raise MachineFailure("e2fsck not found; install e2fsprogs")
    result = subprocess.run(["e2fsck", "-E", "journal_only", "-p", str(disk)],
                            capture_output=True, text=True, check=False)
    if result.returncode > 1:  # 1: errors corrected
        detail = (result.stdout.strip().splitlines() or ["failed"])[-1]
        raise MachineFailure(f"the microVM container disk {disk} needs repair: {detail}")
