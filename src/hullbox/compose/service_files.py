"""File-based ``secrets`` and ``configs``, as Docker Compose mounts them for
a standalone engine: the top-level entry's ``file`` bind-mounted read-only,
secrets at /run/secrets/NAME (or their relative ``target`` there), configs at
/NAME (or their ``target``). Secrets and configs from the environment, from
``content`` or ``external`` need a store of their own, and are refused."""

from __future__ import annotations

import os
import posixpath
from typing import Any

from hullbox.errors import InvalidArgument, Unsupported


def _source_file(kind: str, key: str, top: dict[str, Any]) -> str:
    entry = top.get(key)
    if entry is None:
        raise InvalidArgument(f"{kind} {key!r} is not defined in the top-level {kind}")
    if entry.get("file"):
        path = str(entry["file"])
        if not os.path.exists(path):
            raise InvalidArgument(f"{kind} {key!r}: file {path} not found")
        return path
    how = next((k for k in ("environment", "content", "external") if entry.get(k)), "")
    raise Unsupported(f"{kind} {key!r}: only file-based {kind} are supported, not "
                      f"{how or 'this kind'}; give it a file:")


def file_binds(model: dict[str, Any], service: dict[str, Any]) -> list[str]:
    """``-v SOURCE:TARGET:ro`` values for the service's secrets and configs."""
    binds: list[str] = []
    for kind, base in (("secrets", "/run/secrets"), ("configs", "/")):
        top = model.get(kind) or {}
        for item in service.get(kind) or []:
            entry = {"source": item} if isinstance(item, str) else dict(item)
            key = str(entry["source"])
            source = _source_file(kind, key, top)
            target = str(entry.get("target") or key)
            target = target if target.startswith("/") else posixpath.join(base, target)
            if ":" in source or ":" in target:
                raise InvalidArgument(f"{kind} {key!r}: a ':' in {source}:{target} cannot "
                                      "be mounted; rename it")
            binds.append(f"{source}:{target}:ro")
    return binds
