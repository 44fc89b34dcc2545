"""Patterns over places in a compose model: ``services.*.ports.[].target``,
where ``*`` is any mapping key and ``[]`` any list index."""

from __future__ import annotations

from collections.abc import Iterable


class PathPattern:
    """A dotted pattern matched against a path of keys and ``[i]`` indexes."""

    def __init__(self, pattern: str) -> None:
        self.parts = tuple(pattern.split("."))

    def matches(self, path: tuple[str, ...]) -> bool:
        if len(path) != len(self.parts):
            return False
        for want, have in zip(self.parts, path, strict=True):
            if want == "[]":
                if not have.startswith("["):
                    return False
            elif want == "*":
                if have.startswith("["):
                    return False
            elif want != have:
                return False
        return True

    def __repr__(self) -> str:
        return f"PathPattern({'.'.join(self.parts)!r})"


def matches_any(patterns: Iterable[PathPattern], path: tuple[str, ...]) -> bool:
    """Whether any of ``patterns`` matches ``path``."""
    return any(pattern.matches(path) for pattern in patterns)
