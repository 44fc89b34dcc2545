"""``.dockerignore`` patterns with Docker's semantics (moby/patternmatcher).

A pattern is cleaned like a path (``./a//b/`` is ``a/b``, a leading ``/`` is
dropped); ``*`` and ``?`` stop at ``/``; ``**`` crosses any number of
directories; ``!`` re-includes what an earlier pattern excluded. The last
pattern that matches decides. A pattern also matches everything under a
directory it matches (``node_modules`` excludes ``node_modules/a/b``).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from hullbox.errors import InvalidArgument

_REGEX_SPECIAL = frozenset(".+()|{}$^")


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's translation of one cleaned pattern into an anchored regex."""
    out = ["^"]
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        i += 1
        if ch == "*":
            if i < len(pattern) and pattern[i] == "*":
                i += 1
                if i < len(pattern) and pattern[i] == "/":
                    i += 1
                out.append(".*" if i >= len(pattern) else "(.*/)?")
            else:
                out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            if i < len(pattern):
                out.append(re.escape(pattern[i]))
                i += 1
            else:
                out.append(r"\\")
        elif ch in _REGEX_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    out.append("$")
    try:
        return re.compile("".join(out), re.DOTALL)
    except re.error as exc:
        raise InvalidArgument(f"bad pattern {pattern!r} in .dockerignore: {exc}") from exc


def clean(path: str) -> str:
    """Go's filepath.Clean, then without a leading ``/``."""
    cleaned = posixpath.normpath(path) if path else "."
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    if len(cleaned) > 1 and cleaned.startswith("/"):
        cleaned = cleaned[1:]
    return cleaned


@dataclass(frozen=True)
class Pattern:
    """One line of a .dockerignore."""

    text: str
    regex: re.Pattern[str]
    exclusion: bool
    depth: int  # number of path components


class IgnoreMatcher:
    """Answers "is this context path left out of the build?"."""

    def __init__(self, lines: list[str]) -> None:
        self.patterns: list[Pattern] = []
        for raw in lines:
            text = raw.strip()
            if not text or text.startswith("#"):
                continue
            exclusion = text.startswith("!")
            if exclusion:
                text = text[1:].strip()
                if not text:
                    raise InvalidArgument("illegal exclusion pattern \"!\" in .dockerignore")
            text = clean(text)
            self.patterns.append(Pattern(text, pattern_regex(text), exclusion,
                                         len(text.split("/"))))

    @classmethod
    def from_context(cls, context: Path) -> IgnoreMatcher:
        try:
            text = (context / ".dockerignore").read_text(errors="surrogateescape")
        except FileNotFoundError:
            return cls([])
        return cls(text.splitlines())

    @property
    def has_exclusions(self) -> bool:
        return any(p.exclusion for p in self.patterns)

    def ignored(self, rel: str) -> bool:
        """True when the context-relative path ``rel`` is excluded."""
        if not self.patterns:
            return False
        rel = clean(rel)
        parts = rel.split("/")
        matched = False
        for pattern in self.patterns:
            hit = pattern.regex.match(rel) is not None
            if not hit and len(parts) > 1 and pattern.depth < len(parts):
                hit = pattern.regex.match("/".join(parts[:pattern.depth])) is not None
            if hit:
                matched = not pattern.exclusion
        return matched
