"""File volumes of a microVM (``-v /host/app.conf:/etc/app.conf``).

9p shares directories; sharing a file's parent directory would hand the
guest all of it (``-v /etc/hostname:...`` would share the host's /etc).
So each file gets a directory of its own in the container's directory,
shared instead, holding the file under its own name; the guest mounts the
share out of the container's sight and bind-mounts the file at its
destination:

    CONTAINER_DIR/vm-fileN/NAME     a hard link to the host file (live, as a
                                    file bind mount of runc: the same inode)
                                    or, across file systems, a copy written
                                    back when the microVM has ended
    CONTAINER_DIR/vm-files.json     the copies to write back
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from hullbox.errors import InvalidArgument, MachineFailure
from hullbox.vm.micro.volumes import Volume

_MANIFEST = "vm-files.json"


def check_shareable(volume: Volume) -> None:
    """A share takes a directory or a regular file (not a socket or a device:
    the guest's kernel cannot reach the host's)."""
    try:
        mode = os.stat(volume.source).st_mode
    except OSError as exc:
        raise InvalidArgument(f"volume {volume.source}:{volume.destination}: "
                              f"{exc.strerror}") from None
    if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
        raise InvalidArgument(f"volume {volume.source}:{volume.destination}: a microVM "
                              "(--isolation vm) shares directories and regular files only")


def stage_files(container_dir: Path, volumes: Sequence[Volume]) -> tuple[list[Volume],
                                                                         list[str]]:
    """``volumes`` with each file's source replaced by its own directory,
    and per volume the file's name in it ("" for a directory)."""
    staged, names, copies = [], [], []
    for slot, volume in enumerate(volumes):
        if os.path.isdir(volume.source):
            staged.append(volume)
            names.append("")
            continue
        holder = container_dir / f"vm-file{slot}"
        shutil.rmtree(holder, ignore_errors=True)
        holder.mkdir(mode=0o700)
        name = os.path.basename(volume.source)
        try:
            os.link(volume.source, holder / name)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK):
                raise MachineFailure(f"share {volume.source} with the microVM: "
                                     f"{exc.strerror}") from None
            shutil.copy2(volume.source, holder / name)
            if not volume.readonly:
                copies.append({"copy": str(holder / name), "source": volume.source})
        staged.append(replace(volume, source=str(holder)))
        names.append(name)
    (container_dir / _MANIFEST).write_text(json.dumps(copies))
    return staged, names


def collect_files(container_dir: Path) -> None:
    """The microVM has ended: write each copied file back into the host's
    (in place, so its inode stays), then drop the staging directories."""
    manifest = container_dir / _MANIFEST
    failures = []
    try:
        copies = json.loads(manifest.read_text())
    except (OSError, ValueError):
        copies = []
    for entry in copies:
        try:
            shutil.copyfile(entry["copy"], entry["source"])
        except OSError as exc:
            failures.append(f"{entry['source']}: {exc.strerror}")
    for holder in container_dir.glob("vm-file[0-9]*"):
        shutil.rmtree(holder, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        manifest.unlink()
    if failures:
        raise MachineFailure("copy the microVM's file volumes back: " + "; ".join(failures))
