"""Disk images through qemu-img: create, overlays, copies, inspection and
snapshots of disks no QEMU has open."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from hullbox.errors import InvalidArgument, MachineFailure

QEMU_IMG = "qemu-img"


def _run(*args: str, what: str) -> str:
    try:
        result = subprocess.run([QEMU_IMG, *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise MachineFailure("qemu-img not found; install qemu-utils") from None
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["failed"])[-1]
        raise MachineFailure(f"{what}: {detail.removeprefix('qemu-img: ')}")
    return result.stdout


def create(path: Path, size: int, base: Path | None = None, base_format: str = "qcow2") -> None:
    """A new qcow2; with ``base``, an overlay on it (copy-on-write, instant)."""
    if base is None:
        _run("create", "-q", "-f", "qcow2", str(path), str(size), what=f"create disk {path}")
    else:
        _run("create", "-q", "-f", "qcow2", "-F", base_format, "-b", str(base), str(path),
             what=f"create overlay {path}")


def info(path: Path, *, shared: bool = False) -> dict[str, Any]:
    """``qemu-img info`` as JSON; ``shared`` reads a disk a running QEMU holds."""
    args = ["info", "--output=json", *(["-U"] if shared else []), str(path)]
    data: dict[str, Any] = json.loads(_run(*args, what=f"read disk {path}"))
    return data


def check_image(path: Path, what: str) -> dict[str, Any]:
    """The image's info, or one line saying why it cannot be used as a disk."""
    if not path.is_file():
        raise InvalidArgument(f"{what} {path}: no such file")
    try:
        return info(path)
    except MachineFailure as exc:
        raise InvalidArgument(f"{what} {path} is not a disk image QEMU reads ({exc})") from None


def convert(source: Path, target: Path, source_format: str | None = None,
            output_format: str = "qcow2") -> None:
    """A standalone copy of ``source`` (backing chain flattened, no snapshots)."""
    fmt = ["-f", source_format] if source_format else []
    _run("convert", "-q", *fmt, "-O", output_format, str(source), str(target),
         what=f"copy {source} to {target}")


def resize(path: Path, size: int) -> None:
    _run("resize", "-q", str(path), str(size), what=f"resize {path}")


def snapshots(path: Path, *, shared: bool = False) -> list[dict[str, Any]]:
    """The internal snapshots of a qcow2 (QEMU's ImageInfo field names)."""
    found: list[dict[str, Any]] = info(path, shared=shared).get("snapshots", [])
    return found


def snapshot(action: str, tag: str, path: Path) -> None:
    """``qemu-img snapshot -c|-a|-d TAG``: create, apply or delete."""
    flag = {"create": "-c", "apply": "-a", "delete": "-d"}[action]
    _run("snapshot", flag, tag, str(path), what=f"{action} snapshot {tag} of {path}")


def is_iso9660(path: Path) -> bool:
    """An ISO 9660 image has "CD001" at byte 32769 (its primary volume descriptor)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0x8001)
            return handle.read(5) == b"CD001"
    except OSError:
        return False
