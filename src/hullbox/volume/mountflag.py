"""``--mount type=volume|bind|tmpfs,src=...,dst=...[,readonly]...`` as the
docker CLI reads it, key by key."""

from __future__ import annotations

import posixpath
import re

from hullbox.errors import InvalidArgument
from hullbox.volume.mountpoint import BIND, PROPAGATIONS, TYPES, VOLUME, MountPoint
from hullbox.volume.names import validate_volume_name
from hullbox.volume.parse import container_path, tmpfs_size

_MOUNT_KEYS = ("type", "source", "target", "readonly", "volume-nocopy", "volume-label",
               "volume-opt", "volume-driver", "bind-propagation", "tmpfs-size",
               "tmpfs-mode", "consistency")


def _bool(key: str, value: str, raw: str) -> bool:
    lowered = value.lower()
    if lowered in ("", "1", "true", "t"):
        return True
    if lowered in ("0", "false", "f"):
        return False
    raise InvalidArgument(f"invalid --mount {raw!r}: invalid value for {key}: {value!r}; "
                          "use true or false")


def _key_value(item: str, raw: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    key = key.strip().lower()
    if not sep and key not in ("readonly", "ro", "volume-nocopy"):
        raise InvalidArgument(
            f"invalid --mount {raw!r}: field {item!r} must be a key=value pair"
        )
    return {"src": "source", "dst": "target", "destination": "target",
            "ro": "readonly"}.get(key, key), value


def parse_mount_flag(raw: str) -> MountPoint:
    """``--mount type=volume|bind|tmpfs,src=...,dst=...[,readonly]...``."""
    fields: dict[str, str] = {}
    labels: dict[str, str] = {}
    options: dict[str, str] = {}
    for item in raw.split(","):
        key, value = _key_value(item, raw)
        if key not in _MOUNT_KEYS:
            raise InvalidArgument(
                f"invalid --mount {raw!r}: unexpected key {key!r}; use type, source, "
                "target, readonly, volume-nocopy, volume-label, volume-opt, "
                "bind-propagation, tmpfs-size, tmpfs-mode"
            )
        if key in ("volume-label", "volume-opt"):
            name, _, text = value.partition("=")
            (labels if key == "volume-label" else options)[name] = text
        else:
            fields[key] = value
    kind = fields.get("type", VOLUME).lower()
    if kind not in TYPES:
        raise InvalidArgument(
            f"invalid --mount {raw!r}: mount type {kind!r} is unknown; use volume, bind "
            "or tmpfs"
        )
    if "target" not in fields:
        raise InvalidArgument(f"invalid --mount {raw!r}: target is required (dst=/path)")
    for prefix in ("volume-", "bind-", "tmpfs-"):
        given = [k for k in [*fields, *(["volume-label"] if labels else []),
                             *(["volume-opt"] if options else [])] if k.startswith(prefix)]
        if given and prefix != kind + "-":
            raise InvalidArgument(
                f"invalid --mount {raw!r}: cannot mix {given[0]!r} with mount type {kind!r}"
            )
    source = fields.get("source", "")
    point = MountPoint(
        type=kind,
        destination=container_path(fields["target"], "--mount", raw),
        source=source,
        read_only=_bool("readonly", fields["readonly"], raw) if "readonly" in fields else False,
        nocopy=_bool("volume-nocopy", fields.get("volume-nocopy", "0"), raw),
        volume_labels=labels,
        volume_options=options,
    )
    if kind == BIND:
        if not source:
            raise InvalidArgument(f"invalid --mount {raw!r}: a bind mount needs src=/host/path")
        if not source.startswith("/"):
            raise InvalidArgument(
                f"invalid --mount {raw!r}: bind source {source!r} must be an absolute path"
            )
        point.source = posixpath.normpath(source)
        point.propagation = fields.get("bind-propagation", "").lower()
        if point.propagation and point.propagation not in PROPAGATIONS:
            raise InvalidArgument(
                f"invalid --mount {raw!r}: invalid propagation mode {point.propagation!r}; "
                f"use one of {', '.join(PROPAGATIONS)}"
            )
    elif kind == VOLUME:
        if source:
            validate_volume_name(source)
        driver = fields.get("volume-driver", "local")
        if driver != "local":
            raise InvalidArgument(
                f"invalid --mount {raw!r}: volume driver {driver!r} is not available; "
                "only local is"
            )
    else:
        if source:
            raise InvalidArgument(f"invalid --mount {raw!r}: a tmpfs mount takes no source")
        point.tmpfs_options = _tmpfs_options(fields, raw)
    return point


def _tmpfs_options(fields: dict[str, str], raw: str) -> list[str]:
    out = []
    if "tmpfs-size" in fields:
        out.append(f"size={tmpfs_size(fields['tmpfs-size'], raw)}")
    if "tmpfs-mode" in fields:
        mode = fields["tmpfs-mode"]
        if not re.fullmatch(r"0?[0-7]{1,4}", mode):
            raise InvalidArgument(
                f"invalid --mount {raw!r}: invalid tmpfs-mode {mode!r}; use octal, e.g. 1777"
            )
        out.append(f"mode={int(mode, 8):o}")
    return out
