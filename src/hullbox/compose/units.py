"""Durations and byte sizes as compose writes them: Go's ``time.Duration``
syntax (``1m30s``, printed back as Go prints it) and go-units' sizes
(``50M`` = 52428800 bytes)."""

from __future__ import annotations

import re

_DURATION_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000,
                   "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(value: str | int | float) -> int:
    """Nanoseconds of a Go duration (``"1m30s"``, ``"1.5h"``); a bare number is
    seconds, as compose-go reads one. ValueError when malformed."""
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, int | float):
        return int(value * 1_000_000_000)
    text = value.strip()
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    if text == "0":
        return 0
    if not text:
        raise ValueError(f"invalid duration {value!r}")
    total, pos = 0.0, 0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        if match is None or match.group(1) in ("", "."):
            raise ValueError(f"invalid duration {value!r}")
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    return sign * round(total)


def _fraction(value: int, digits: int) -> str:
    whole, frac = divmod(value, 10 ** digits)
    text = str(frac).rjust(digits, "0").rstrip("0")
    return f"{whole}.{text}" if text else str(whole)


def format_duration(nanoseconds: int) -> str:
    """Go's ``time.Duration.String()``: ``10s``, ``1m0s``, ``1h30m0s``, ``500ms``."""
    if nanoseconds == 0:
        return "0s"
    sign = "-" if nanoseconds < 0 else ""
    n = abs(nanoseconds)
    if n < 1_000:
        return f"{sign}{n}ns"
    if n < 1_000_000:
        return f"{sign}{_fraction(n, 3)}µs"
    if n < 1_000_000_000:
        return f"{sign}{_fraction(n, 6)}ms"
    hours, rest = divmod(n, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    seconds = _fraction(rest, 9) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return f"{sign}{seconds}"


def normalize_duration(value: str | int | float) -> str:
    """A duration as compose prints it."""
    return format_duration(parse_duration(value))


_SIZE = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*([kmgtp]?)(i?b?)$", re.I)
_SIZE_FACTORS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4, "p": 1024**5}


def parse_bytes(value: str | int | float) -> int:
    """go-units ``RAMInBytes``: ``"50M"``, ``"1gb"``, ``"512k"``, ``1024``
    (binary multiples). ValueError when malformed."""
    if isinstance(value, bool):
        raise ValueError(f"invalid size {value!r}")
    if isinstance(value, int | float):
        return int(value)
    match = _SIZE.match(value.strip())
    if match is None:
        raise ValueError(f"invalid size {value!r}")
    return int(float(match.group(1)) * _SIZE_FACTORS[match.group(2).lower()])
