"""Compose models already known to pass the schema, so that loading a project
whose files did not change skips jsonschema: importing it is most of what a
``compose config`` costs (~0.25 of ~0.35 s), checking a file is ~5 ms.

A verdict is an empty file in the user's cache directory named by the SHA-256
of the schema and of the model; only passes are kept, so an error is always
found and described afresh by jsonschema. A verdict that cannot be read or
written only costs the full check."""

from __future__ import annotations

import hashlib
import json
import math
import os
from importlib import resources
from pathlib import Path
from typing import Any

# Part of every key: bump it when schema.validate starts checking something
# the schema file does not say, so older passes stop counting.
VERDICT_FORMAT = b"compose-schema-verdict-1\n"
# Verdicts kept; past this the least recently used go (one per edit of a file).
KEEP = 512


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/hullbox/compose-schema`` (default ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hullbox" / "compose-schema"


def _plain(value: Any) -> bool:
    """Whether ``value`` is JSON data whose serialisation is unambiguous:
    YAML also gives non-string keys, dates and NaN, which JSON would merge
    with values that validate differently; those always get the full check."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(item) for item in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, str | int)  # bool is an int


def verdict_key(model: Any) -> str | None:
    """The name of ``model``'s verdict, or None when it has none."""
    if not _plain(model):
        return None
    schema = resources.files("hullbox.compose").joinpath("compose-spec.json").read_bytes()
    digest = hashlib.sha256(VERDICT_FORMAT)
    digest.update(hashlib.sha256(schema).digest())
    digest.update(json.dumps(model, sort_keys=True, separators=(",", ":")).encode())
    return digest.hexdigest()


def known_valid(key: str) -> bool:
    """Whether ``key`` passed before (and mark it recently used)."""
    try:
        os.utime(cache_dir() / key)
    except OSError:
        return False
    return True


def remember_valid(key: str) -> None:
    """Record that ``key`` passed; drop the oldest verdicts past KEEP."""
    directory = cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / key).touch()
        entries = list(os.scandir(directory))
        if len(entries) > KEEP:
            entries.sort(key=lambda entry: entry.stat().st_mtime)
            for entry in entries[:len(entries) - KEEP]:
                os.unlink(entry.path)
    except OSError:
        pass  # a cache we cannot write is only a slower load
