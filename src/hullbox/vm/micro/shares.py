"""Live volumes of a microVM: each host directory (``-v``, named volumes,
``--mount type=bind``) is a virtio-9p share the guest mounts at its
destination, so what the host writes is seen in the guest at once and
what the guest writes is on the host at once (nothing waits for the exit,
nothing is lost when the VM is killed).

Why 9p and not virtiofs: QEMU 7.2 cannot migrate a vhost-user-fs device
(the template snapshot every run restores is a migration stream), and
virtiofsd needs the guest RAM shared while runs map the template's RAM
copy-on-write. A 9p device is migratable while nothing in the guest has it
mounted, which is the case at every save (template, image and kept
snapshots are saved before a run mounts anything).

A machine for a run with volumes has SHARE_SLOTS 9p devices, one without
has none (the template and its restores must have the same devices, so
each has its template): the template's point at an empty read-only
directory; a run points its first ones at its volumes. The guest kernel
needs the 9p modules (scripts/build-guest-9p.sh builds them for Debian's
cloud kernel, which has no 9p); without them volumes are copies
(volumes.py).

``security_model=passthrough``: the guest's root writes files owned by
root on the host, a guest uid N files owned by N, as runc's bind mounts do.
A QEMU that is not root cannot give files away: ``none`` is passthrough
that leaves them to the user who runs it.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from hullbox.vm.kernel import guest_modules_dir

if TYPE_CHECKING:
    from hullbox.vm.micro.machine import GuestSpec
    from hullbox.vm.micro.volumes import Volume

#: 9p devices in a machine that has shares (24 virtio-mmio transports
#: in all; the others take 7 and one per NIC)
SHARE_SLOTS = 8
#: the guest modules, in load order (netfs is the stock kernel's)
SHARE_MODULES = ("netfs", "9pnet", "9pnet_virtio", "9p")
#: where each is under lib/modules/VERSION: built in tree, or by build-guest-9p.sh
_MODULE_PLACES = {"netfs": ("kernel/fs/netfs",), "9pnet": ("kernel/net/9p", "extra"),
                  "9pnet_virtio": ("kernel/net/9p", "extra"), "9p": ("kernel/fs/9p", "extra")}
#: cache=mmap: nothing cached but what a shared writable mmap needs, so the
#: host's writes are seen at once and the guest's reach the host at once
MOUNT_OPTIONS = "trans=virtio,version=9p2000.L,cache=mmap,msize=262144"
#: the template's placeholder directory, in its own directory
EMPTY_DIR = "share-empty"


def share_tag(slot: int) -> str:
    """The mount tag of share slot N (what the guest mounts it by)."""
    return f"hullbox-share{slot}"


def share_module_files(kernel: Path) -> dict[str, Path]:
    """The guest kernel's 9p modules by name, or {} when any is missing.
    Known places only: every microVM run asks (microvm.plan), a walk of the
    whole module tree would cost it milliseconds."""
    modules = guest_modules_dir(kernel)
    if modules is None:
        return {}
    found = {}
    for name, places in _MODULE_PLACES.items():
        for place in places:
            if (modules / place / f"{name}.ko").is_file():
                found[name] = modules / place / f"{name}.ko"
                break
        else:
            return {}
    return found


def placeholders(template_dir: Path, slots: int) -> tuple[str, ...]:
    """A template's shares: ``slots`` times its empty directory."""
    return (str(template_dir / EMPTY_DIR),) * slots


def with_volumes(spec: GuestSpec, volumes: Sequence[Volume]) -> GuestSpec:
    """``spec`` with its first share slots on ``volumes``' host directories."""
    shares = [volume.source for volume in volumes] + list(spec.shares[len(volumes):])
    readonly = [volume.readonly for volume in volumes] + \
        [True] * (len(spec.shares) - len(volumes))
    return replace(spec, shares=tuple(shares), shares_readonly=tuple(readonly))


def share_argv(shares: Sequence[str], readonly: Sequence[bool]) -> list[str]:
    """QEMU's arguments for the 9p devices; a slot with no run volume is read-only."""
    argv = []
    model = "passthrough" if os.geteuid() == 0 else "none"
    for slot, path in enumerate(shares):
        locked = readonly[slot] if slot < len(readonly) else True
        argv += ["-fsdev", f"local,id=share{slot},path={path.replace(',', ',,')},"
                           f"security_model={model}{',readonly=on' if locked else ''}",
                 "-device", f"virtio-9p-device,fsdev=share{slot},mount_tag={share_tag(slot)}"]
    return argv


def mount_command(slot: int, target: str, readonly: bool, file_name: str = "") -> str:
    """The guest's mount of share slot N at ``target`` (a path under its
    root); a file volume's share is mounted out of the command's root and
    its one file bind-mounted at ``target`` (share_files.py)."""
    options = MOUNT_OPTIONS + (",ro" if readonly else "")
    if not file_name:
        return f"mkdir -p {shlex.quote(target)} && " \
            f"mount -t 9p -o {options} {share_tag(slot)} {shlex.quote(target)}"
    holder = f"/run/share{slot}"
    return (f"mkdir -p {holder} {shlex.quote(os.path.dirname(target))} && "
            f"mount -t 9p -o {options} {share_tag(slot)} {holder} && "
            f"{{ [ -e {shlex.quote(target)} ] || : >{shlex.quote(target)}; }} && "
            f"mount --bind {shlex.quote(holder + '/' + file_name)} {shlex.quote(target)}")
