"""Sizes as VM users type them: ``1G``, ``512M``, ``512`` (MiB for memory)."""

from __future__ import annotations

import re

from hullbox.errors import InvalidArgument

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
_SHIFT = {"k": 10, "m": 20, "g": 30, "t": 40}


def parse_size(text: str, what: str, bare_unit: str = "") -> int:
    """Bytes from ``10G``/``512m``/``1GiB``; a bare number is in ``bare_unit``
    (VirtualBox's ``--memory 1024`` means MiB)."""
    match = _SIZE.match(text)
    if not match:
        raise InvalidArgument(
            f"invalid {what} {text!r}: use a number with a unit, e.g. 512M or 10G")
    unit = (match.group(2) or bare_unit).lower()
    value = int(float(match.group(1)) * (1 << _SHIFT.get(unit, 0)))
    if value <= 0:
        raise InvalidArgument(f"invalid {what} {text!r}: must be greater than 0")
    return value


def parse_memory_mib(text: str) -> int:
    """Guest RAM in MiB; at least 16 MiB, below which no Linux boots."""
    mib = parse_size(text, "--memory", bare_unit="m") >> 20
    if mib < 16:
        raise InvalidArgument(f"invalid --memory {text!r}: a guest needs at least 16M")
    return mib


def parse_cpus(value: int) -> int:
    if not 1 <= value <= 255:
        raise InvalidArgument(f"invalid --cpus {value}: use 1 to 255")
    return value


def human_bytes(size: int) -> str:
    """Binary units the way qemu-img prints them: 512 MiB, 10 GiB."""
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift:
            value = size / (1 << shift)
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} B"
