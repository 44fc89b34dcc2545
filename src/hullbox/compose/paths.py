"""Relative paths in a compose model made absolute against the directory they
are relative to (the project directory, or the directory of the file an
``extends``/``include`` brought in); ``~`` is the user's home."""

from __future__ import annotations

import os
import re
from typing import Any

_REMOTE_PREFIXES = ("http://", "https://", "git://", "git@", "github.com/", "ssh://")
_CONTEXT_SCHEMES = ("docker-image://", "service:", "oci-layout://", "target:")


def _expand(path: str, base: str, home: str) -> str:
    if path == "~" or path.startswith("~/"):
        return os.path.normpath(home + path[1:])
    if os.path.isabs(path) or re.match(r"^[A-Za-z]:[\\/]", path):
        return path  # absolute here, or on Windows (compose files travel)
    return os.path.normpath(os.path.join(base, path))


def _is_remote(path: str) -> bool:
    return path.startswith(_REMOTE_PREFIXES) or ".git#" in path or path.endswith(".git")


def resolve_service_paths(service: dict[str, Any], base: str, home: str) -> dict[str, Any]:
    """A copy of ``service`` with its file paths absolute."""
    out = dict(service)
    build = out.get("build")
    if isinstance(build, dict):
        build = dict(build)
        context = build.get("context", ".")
        if not _is_remote(context):
            build["context"] = _expand(context, base, home)
        if isinstance(build.get("additional_contexts"), dict):
            build["additional_contexts"] = {
                name: value if _is_remote(value) or value.startswith(_CONTEXT_SCHEMES)
                else _expand(value, base, home)
                for name, value in build["additional_contexts"].items()
            }
        out["build"] = build
    if isinstance(out.get("env_file"), list):
        out["env_file"] = [{**entry, "path": _expand(entry["path"], base, home)}
                           for entry in out["env_file"]]
    if isinstance(out.get("label_file"), list):
        out["label_file"] = [_expand(path, base, home) for path in out["label_file"]]
    if isinstance(out.get("volumes"), list):
        volumes = []
        for volume in out["volumes"]:
            source = volume.get("source") if isinstance(volume, dict) else None
            if volume.get("type") == "bind" and isinstance(source, str):
                volume = {**volume, "source": _expand(source, base, home)}
            volumes.append(volume)
        out["volumes"] = volumes
    extends = out.get("extends")
    if isinstance(extends, dict) and extends.get("file"):
        out["extends"] = {**extends, "file": _expand(extends["file"], base, home)}
    return out


def resolve_paths(model: dict[str, Any], base: str, home: str) -> dict[str, Any]:
    """Every service's paths and the ``file`` of secrets and configs."""
    out = dict(model)
    if isinstance(model.get("services"), dict):
        out["services"] = {name: resolve_service_paths(svc, base, home)
                           if isinstance(svc, dict) else svc
                           for name, svc in model["services"].items()}
    for section in ("secrets", "configs"):
        if isinstance(model.get(section), dict):
            out[section] = {
                name: {**value, "file": _expand(value["file"], base, home)}
                if isinstance(value, dict) and isinstance(value.get("file"), str) else value
                for name, value in model[section].items()
            }
    return out
