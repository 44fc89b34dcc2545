"""The build context: the files COPY and ADD may read, minus what
``.dockerignore`` leaves out, their glob matching and their content digests.

A digest covers what changes a copy's result: names, types, permission bits,
sizes, contents and link targets; not owners or times (as BuildKit).
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from hullbox.build.dockerignore import IgnoreMatcher, clean, pattern_regex
from hullbox.errors import InvalidArgument

_GLOB_CHARS = frozenset("*?[\\")
_CHUNK = 1 << 20


class SourceNotFound(InvalidArgument):
    """A COPY/ADD source that is not in the context (or is ignored)."""


def has_glob(text: str) -> bool:
    return any(c in _GLOB_CHARS for c in text)


def context_path(source: str) -> str:
    """A source as a clean path relative to the context root; ``..`` cannot
    climb out (BuildKit treats the context root as ``/``)."""
    parts: list[str] = []
    for comp in source.split("/"):
        if comp in ("", "."):
            continue
        if comp == "..":
            if parts:
                parts.pop()
            continue
        parts.append(comp)
    return "/".join(parts) or "."


class BuildContext:
    """A directory sent (here: read in place) to the build."""

    def __init__(self, root: Path, ignore: IgnoreMatcher | None = None) -> None:
        self.root = root
        self.ignore = ignore if ignore is not None else IgnoreMatcher.from_context(root)
        self._digests: dict[str, str] = {}

    def path(self, rel: str) -> Path:
        return self.root if rel == "." else self.root / rel

    def included(self, rel: str) -> bool:
        return rel == "." or not self.ignore.ignored(rel)

    def walk(self, rel: str) -> Iterator[tuple[str, os.stat_result]]:
        """``rel`` and, for a directory, everything below it that is not
        ignored, parents first, in sorted order."""
        st = os.lstat(self.path(rel))
        yield rel, st
        if not stat.S_ISDIR(st.st_mode):
            return
        names = sorted(os.listdir(self.path(rel)))
        for name in names:
            child = name if rel == "." else f"{rel}/{name}"
            if self.ignore.ignored(child):
                if not self.ignore.has_exclusions:
                    continue
                # a later "!" pattern may bring back something below it
                if stat.S_ISDIR(os.lstat(self.path(child)).st_mode):
                    yield from ((r, s) for r, s in self.walk(child) if self.included(r))
                continue
            yield from self.walk(child)

    def match(self, source: str, instruction: str) -> list[str]:
        """The context paths a COPY source names (a glob may name several);
        SourceNotFound when none is there."""
        rel = context_path(source)
        if not has_glob(rel):
            if os.path.lexists(self.path(rel)) and self.included(rel):
                return [rel]
            raise SourceNotFound(
                f"{instruction} failed: file not found in build context or excluded by "
                f".dockerignore: {rel}")
        regex = pattern_regex(clean(rel))
        found = [r for r, _ in self.walk(".") if r != "." and regex.match(r)]
        # a directory that matched brings its content; do not list it twice
        tops = [r for r in found if not any(r.startswith(o + "/") for o in found if o != r)]
        if not tops:
            raise SourceNotFound(
                f"{instruction} failed: no source files were specified: {source!r} matches "
                "nothing in the build context")
        return tops

    def digest(self, rel: str) -> str:
        """The content digest of a source path and everything below it."""
        cached = self._digests.get(rel)
        if cached is not None:
            return cached
        h = hashlib.sha256()
        for path_rel, st in self.walk(rel):
            name = path_rel[len(rel):] if rel != "." else path_rel
            h.update(f"{name}\0{stat.S_IFMT(st.st_mode)}\0{stat.S_IMODE(st.st_mode)}\0".encode(
                errors="surrogateescape"))
            if stat.S_ISLNK(st.st_mode):
                h.update(os.fsencode(os.readlink(self.path(path_rel))))
            elif stat.S_ISREG(st.st_mode):
                h.update(f"{st.st_size}\0".encode())
                with open(self.path(path_rel), "rb") as f:
                    while chunk := f.read(_CHUNK):
                        h.update(chunk)
            h.update(b"\n")
        digest = "sha256:" + h.hexdigest()
        self._digests[rel] = digest
        return digest
