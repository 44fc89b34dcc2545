"""Merging compose files (``-f a -f b``, ``extends``) with compose's rules:
mappings merge key by key; ``command``, ``entrypoint`` and
``healthcheck.test`` are replaced; lists whose items have an identity
(ports, volumes, secrets, ``cap_add``...) merge by that identity, the later
file's item taking the earlier one's place; other lists are appended;
``!reset`` drops a value and ``!override`` replaces it whole."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hullbox.compose.paths_match import PathPattern
from hullbox.compose.ports import port_key
from hullbox.compose.volumes import volume_key
from hullbox.compose.yamlsrc import Override, Reset


def _same(item: Any) -> Any:
    return repr(item)


def _mount_key(default_dir: str) -> Callable[[Any], Any]:
    def key(item: Any) -> Any:
        if isinstance(item, dict):
            return item.get("target") or f"{default_dir}/{item.get('source')}"
        return item

    return key


def _env_file_key(item: Any) -> Any:
    return item.get("path") if isinstance(item, dict) else item


def _ipam_key(item: Any) -> Any:
    return item.get("subnet") if isinstance(item, dict) else repr(item)


_UNIQUE: list[tuple[PathPattern, Callable[[Any], Any]]] = [
    (PathPattern("services.*.ports"), port_key),
    (PathPattern("services.*.volumes"), volume_key),
    (PathPattern("services.*.secrets"), _mount_key("/run/secrets")),
    (PathPattern("services.*.configs"), _mount_key("")),
    (PathPattern("services.*.env_file"), _env_file_key),
    (PathPattern("services.*.devices"), lambda d: d.get("target") if isinstance(d, dict) else d),
    (PathPattern("services.*.extra_hosts"), _same),
    (PathPattern("networks.*.ipam.config"), _ipam_key),
] + [
    (PathPattern(f"services.*.{key}"), _same)
    for key in ("cap_add", "cap_drop", "dns", "dns_opt", "dns_search", "expose",
                "links", "external_links", "profiles", "tmpfs", "label_file",
                "security_opt", "build.tags", "build.platforms", "build.cache_from",
                "networks.*.aliases", "networks.*.link_local_ips")
]

_REPLACE = [PathPattern(f"services.*.{key}")
            for key in ("command", "entrypoint", "healthcheck.test", "ulimits.*")]


def _merge_unique(base: list[Any], over: list[Any], key: Callable[[Any], Any]) -> list[Any]:
    out = list(base)
    index = {key(item): i for i, item in enumerate(out)}
    for item in over:
        k = key(item)
        if k in index:
            out[index[k]] = item
        else:
            index[k] = len(out)
            out.append(item)
    return out


def _merge_logging(base: dict[str, Any], over: dict[str, Any],
                   path: tuple[str, ...]) -> dict[str, Any]:
    if over.get("driver") and base.get("driver") and over["driver"] != base["driver"]:
        return over  # another driver: the options of the first mean nothing to it
    return merge_values(base, over, path)  # type: ignore[no-any-return]


def merge_values(base: Any, over: Any, path: tuple[str, ...] = ()) -> Any:
    """``over`` merged onto ``base`` (neither is changed)."""
    if isinstance(over, Override):
        return strip_markers(over.value)
    if isinstance(over, Reset):
        return over
    if any(pattern.matches(path) for pattern in _REPLACE):
        return strip_markers(over)
    if isinstance(base, dict) and isinstance(over, dict):
        if path[-1:] == ("logging",) and len(path) == 3:
            return _merge_logging(base, {k: v for k, v in over.items()}, ("_",))
        out = dict(base)
        for key, value in over.items():
            child = (*path, str(key))
            if isinstance(value, Reset):
                out.pop(key, None)
            elif key in out:
                out[key] = merge_values(out[key], value, child)
            else:
                out[key] = strip_markers(value)
        return out
    if isinstance(base, list) and isinstance(over, list):
        for pattern, key in _UNIQUE:
            if pattern.matches(path):
                return _merge_unique(base, strip_markers(over), key)
        return base + strip_markers(over)
    return strip_markers(over)


def strip_markers(value: Any) -> Any:
    """The value without ``!reset`` (dropped) and ``!override`` (unwrapped)."""
    if isinstance(value, Override):
        return strip_markers(value.value)
    if isinstance(value, dict):
        return {k: strip_markers(v) for k, v in value.items() if not isinstance(v, Reset)}
    if isinstance(value, list):
        return [strip_markers(v) for v in value if not isinstance(v, Reset)]
    return value


def merge_models(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Two whole compose models, the second applied over the first."""
    return strip_markers(merge_values(base, over))  # type: ignore[no-any-return]
