"""Image snapshots: the template restored once per image, the image's disk
bound and mounted in it (read-only, under a tmpfs layer, with the kernel
filesystems), then saved again. A run from it mounts nothing.

Under TCG a new QEMU translates every guest kernel path the first time it
runs, so what a restored guest does costs far more than the same work in a
warm one: binding the block device and mounting ext4 were most of a warm
run. Moving them before the save is the same trick as the template itself.

    ROOT/microvm/images/KEY/ram     the guest RAM: a sparse copy of the template's, then written
    ROOT/microvm/images/KEY/state   device and CPU state

KEY joins the template's key and the image id. Runs map the RAM privately
and open the disk read-only, so any number share one snapshot; a ``--rm``
run's writes land in the guest's tmpfs layer and go with it, a kept
container's on its own upper disk (guest.py's mount_upper).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

from hullbox.errors import MachineFailure
from hullbox.vm.micro.channels import Channels, last_words, launch_qemu, stop_qemu
from hullbox.vm.micro.guest import mount_image_script
from hullbox.vm.micro.machine import GuestSpec, qemu_argv
from hullbox.vm.micro.qmpline import QmpLine, ignore_shared
from hullbox.vm.micro.template import (
    BOOT_TIMEOUT,
    Template,
    build_once,
    guest_ports,
    read_reply,
    save_state,
)


def images_dir(root: Path) -> Path:
    return root / "microvm" / "images"


def snapshot_key(template: Template, image_id: str) -> str:
    return f"{template.dir.name}-{image_id.removeprefix('sha256:')[:24]}"


def ensure_image_snapshot(root: Path, template: Template, image_id: str, disk: Path,
                          warm: list[str]) -> GuestSpec:
    """The spec of a run from the image's snapshot, made first if there is
    none, with the files ``warm`` names in its page cache (warm.py)."""
    final = images_dir(root) / snapshot_key(template, image_id)
    spec = replace(template.spec, ram_file=str(final / "ram"),
                   state_file=str(final / "state"), disk=str(disk), disk_format="raw",
                   disk_readonly=True, mounted=True)

    def make(work: Path) -> None:
        copy_sparse(Path(template.spec.ram_file), work / "ram")
        restore_run_save(template.spec.state_file,
                         replace(spec, ram_file=str(work / "ram"),
                                 state_file=str(work / "state"),
                                 console_log=str(work / "console.log")),
                         mount_image_script(warm), work)

    build_once(final, make)
    return spec


def copy_sparse(source: Path, target: Path) -> None:
    """A snapshot's RAM (or an empty disk) is mostly zeros; holes keep the copy small."""
    if shutil.which("cp") is None:
        raise MachineFailure("cp not found; install coreutils")
    result = subprocess.run(["cp", "--sparse=always", str(source), str(target)],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise MachineFailure(f"copy the microVM template's memory: {result.stderr.strip()}")


def restore_run_save(template_state: str, spec: GuestSpec, script: str, work: Path,
                     what: str = "mount the image's disk") -> None:
    """Restore ``template_state`` into a QEMU built from ``spec``, have the
    waiting init run ``script`` (it answers ``ready`` or ``failed: WHY``),
    and save the machine to ``spec``'s state file."""
    channels = Channels.make()
    argv = qemu_argv(spec, guest_ports(channels), channels.guest["qmp"].fileno(), boot=False,
                     share_ram=True)
    proc = launch_qemu(argv, channels, work / "qemu.log")
    try:
        qmp = QmpLine(channels.host["qmp"])
        ignore_shared(qmp)
        qmp.execute("migrate-incoming", {"uri": "exec:cat " + shlex.quote(template_state)})
        channels.host["ctl"].sendall(script.encode())
        reply = read_reply(channels.host["ctl"], BOOT_TIMEOUT)
        if reply != "ready":
            why = reply.removeprefix("failed: ") or last_words(work / "qemu.log",
                                                               work / "console.log")
            raise MachineFailure(f"the microVM could not {what}: {why}")
        save_state(qmp, Path(spec.state_file))
    finally:
        stop_qemu(proc)
        channels.close()
