"""Parsing the sizes and quantities users type: ``64m``, ``0.5`` CPUs, ``1g``."""

from __future__ import annotations

import re

from hullbox.errors import InvalidArgument

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(?:i?b)?\s*$", re.IGNORECASE)
_MULTIPLIERS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def parse_bytes(text: str | int, what: str = "size") -> int:
    """Docker's RAMInBytes: binary multiples, ``b`` optional (``64m``, ``1GiB``)."""
    if isinstance(text, int):
        return text
    match = _SIZE.match(text)
    if not match:
        raise InvalidArgument(
            f"invalid {what} {text!r}: use a number with an optional unit b, k, m, g (e.g. 64m)"
        )
    return int(float(match.group(1)) * _MULTIPLIERS[match.group(2).lower()])


def parse_cpus(text: str | float) -> int:
    """``--cpus 0.5`` as nano-CPUs, the unit Docker stores (NanoCpus)."""
    try:
        value = float(text)
    except ValueError:
        raise InvalidArgument(f"invalid --cpus {text!r}: use a number such as 0.5 or 2") from None
    if value <= 0:
        raise InvalidArgument(f"invalid --cpus {text!r}: must be greater than 0")
    return int(value * 1e9)


def human_size(size: float) -> str:
    """Docker's HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits."""
    units = ["B", "kB", "MB", "GB", "TB", "PB"]
    index = 0
    while size >= 1000 and index < len(units) - 1:
        size /= 1000.0
        index += 1
    return f"{size:.3g}{units[index]}"
