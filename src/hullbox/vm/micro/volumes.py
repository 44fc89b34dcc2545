"""Volumes (``-v host:ctr[:ro]``, named volumes, ``--mount``) of a microVM
whose guest kernel cannot mount 9p (no modules from
scripts/build-guest-9p.sh): the fallback of shares.py's live shares.

Each volume travels as an ext4 disk: made from the host directory when the microVM starts
(``mkfs.ext4 -d``), mounted in the guest at its destination, and copied
back into the host directory when the microVM has ended (read-only ones are
not). What the guest wrote is on the host once the container has exited;
containers that share a volume each work on their own copy meanwhile.

    CONTAINER_DIR/vm-volumes.json     the volumes of the running microVM
    CONTAINER_DIR/vm-volN.ext4        volume N's disk (the machine's slot N)
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from hullbox.errors import InvalidArgument, MachineFailure
from hullbox.vm.micro.guest import VOLUME_SLOTS
from hullbox.vm.micro.rootdisk import tree_geometry

_MANIFEST = "vm-volumes.json"


@dataclass(frozen=True)
class Volume:
    """One volume: a host directory seen at ``destination`` in the guest."""

    source: str
    destination: str
    readonly: bool = False


def check_volumes(volumes: list[Volume], slots: int = VOLUME_SLOTS, *,
                  files: bool = False) -> None:
    """Refuse what a microVM cannot mount, before anything is made; ``files``:
    its volumes are shares, which take files too (share_files.py)."""
    if len(volumes) > slots:
        raise InvalidArgument(f"a microVM (--isolation vm) takes at most {slots} "
                              f"volumes, not {len(volumes)}")
    for volume in volumes:
        if files:
            from hullbox.vm.micro.share_files import check_shareable

            check_shareable(volume)
        elif not os.path.isdir(volume.source):
            raise InvalidArgument(f"volume {volume.source}:{volume.destination}: a microVM "
                                  "(--isolation vm) mounts directories only")


def make_volume_disks(container_dir: Path, volumes: list[Volume]) -> list[Path]:
    """The disks of ``volumes`` in slot order, made from their host
    directories now; remembered so collect_volumes copies them back."""
    check_volumes(volumes)
    if shutil.which("mkfs.ext4") is None:
        raise MachineFailure("mkfs.ext4 not found; install e2fsprogs")
    disks = []
    for slot, volume in enumerate(volumes):
        disk = container_dir / f"vm-vol{slot}.ext4"
        disk.unlink(missing_ok=True)
        size, inodes = tree_geometry(Path(volume.source))
        with disk.open("wb") as handle:
            handle.truncate(size)
        result = subprocess.run(["mkfs.ext4", "-q", "-F", "-J", "size=4", "-N", str(inodes),
                                 "-d", volume.source, str(disk)],
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            disk.unlink(missing_ok=True)
            detail = (result.stderr.strip().splitlines() or ["failed"])[-1]
            raise MachineFailure(f"copy volume {volume.source} for the microVM: {detail}")
        disks.append(disk)
    entries = [{"disk": str(disk), **asdict(volume)}
               for disk, volume in zip(disks, volumes, strict=True)]
    (container_dir / _MANIFEST).write_text(json.dumps(entries))
    return disks


def collect_volumes(container_dir: Path) -> None:
    """The microVM has ended: copy each writable volume's disk back into its
    host directory (files the guest deleted go there too), then drop the disks."""
    manifest = container_dir / _MANIFEST
    try:
        entries = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return
    failures = []
    for entry in entries:
        disk = Path(entry["disk"])
        try:
            if not entry["readonly"] and disk.is_file():
                _copy_back(disk, Path(entry["source"]))
        except (OSError, MachineFailure) as exc:
            failures.append(f"{entry['source']}: {exc}")
        finally:
            disk.unlink(missing_ok=True)
    manifest.unlink(missing_ok=True)
    if failures:
        raise MachineFailure("copy the microVM's volumes back: " + "; ".join(failures))


def _copy_back(disk: Path, target: Path) -> None:
    from hullbox.vm.micro.keptsnap import replay_journal

    replay_journal(disk)
    with tempfile.TemporaryDirectory(prefix=".vm-volume-", dir=disk.parent) as scratch:
        # debugfs reads the disk as a file (no mount) and keeps owners, modes, times
        result = subprocess.run(["debugfs", "-R", f"rdump / {scratch}", str(disk)],
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise MachineFailure(f"debugfs: {result.stderr.strip() or 'failed'}")
        dumped = Path(scratch)
        shutil.rmtree(dumped / "lost+found", ignore_errors=True)
        sync_tree(dumped, target)


def sync_tree(source: Path, target: Path) -> None:
    """Make ``target`` hold what ``source`` holds (``target`` itself stays:
    it may be a mount point or bind-mounted elsewhere); moves, not copies."""
    wanted = {entry.name for entry in os.scandir(source)}
    for entry in os.scandir(target):
        if entry.name not in wanted:
            _remove(Path(entry.path))
    for entry in os.scandir(source):
        here, there = Path(entry.path), target / entry.name
        mode = os.lstat(here).st_mode
        if stat.S_ISDIR(mode) and there.is_dir() and not there.is_symlink():
            sync_tree(here, there)
            shutil.copystat(here, there, follow_symlinks=False)
            st = os.lstat(here)
            os.lchown(there, st.st_uid, st.st_gid)
        else:
            if there.exists() or there.is_symlink():
                _remove(there)
            os.rename(here, there)
    st = os.lstat(source)
    os.chmod(target, stat.S_IMODE(st.st_mode))
    os.chown(target, st.st_uid, st.st_gid)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
