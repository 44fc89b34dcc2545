"""``WWW-Authenticate`` parsing (RFC 7235 challenges, as registries send them).

A registry answers 401 with ``Bearer realm="https://auth/token",service="reg",
scope="repository:app:pull"`` or ``Basic realm="Registry Realm"``. Several
challenges may share one header, separated by commas, as may the parameters
inside one challenge, so the header is tokenised rather than split on commas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r'\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*')
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


@dataclass(frozen=True)
class Challenge:
    """One authentication scheme offered by a registry, with its parameters
    (names lowercased)."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")


def parse_challenges(header: str) -> list[Challenge]:
    """Every challenge in a ``WWW-Authenticate`` value, in the order given;
    an unparsable tail is ignored rather than failing the request."""
    out: list[Challenge] = []
    pos = 0
    current: Challenge | None = None
    while pos < len(header):
        match = _TOKEN.match(header, pos)
        if not match:
            pos += 1  # stray comma or junk
            continue
        name, after = match.group(1), match.end()
        if after < len(header) and header[after] == "=" and current is not None:
            value, pos = _value(header, after + 1)
            current.params[name.lower()] = value
        else:
            current = Challenge(name.lower(), {})
            out.append(current)
            pos = after
        while pos < len(header) and header[pos] in ", \t":
            pos += 1
    return out


def _value(header: str, pos: int) -> tuple[str, int]:
    while pos < len(header) and header[pos] in " \t":
        pos += 1
    quoted = _QUOTED.match(header, pos)
    if quoted:
        return re.sub(r"\\(.)", r"\1", quoted.group(1)), quoted.end()
    end = pos
    while end < len(header) and header[end] not in ", \t":
        end += 1
    return header[pos:end], end
