"""The mount flags of ``run``/``create`` as Docker reads them: ``-v``,
``--mount``, ``--tmpfs`` and ``--volumes-from``. Pure: no I/O but the
current directory for a relative ``-v ./dir:/x``."""

from __future__ import annotations

import os
import posixpath
import re

from hullbox.errors import InvalidArgument
from hullbox.volume.mountpoint import BIND, PROPAGATIONS, TMPFS, TYPES, VOLUME, MountPoint
from hullbox.volume.names import validate_volume_name

_LABEL_MODES = ("z", "Z")
_COPY_MODES = ("copy", "nocopy")
_CONSISTENCY = ("consistent", "cached", "delegated")
_SIZE = re.compile(r"^(\d+)([kmg]?)(?:i?b)?$", re.IGNORECASE)
_MOUNT_KEYS = ("type", "source", "target", "readonly", "volume-nocopy", "volume-label",
               "volume-opt", "volume-driver", "bind-propagation", "tmpfs-size",
               "tmpfs-mode", "consistency")


def container_path(path: str, flag: str, raw: str) -> str:
    """An absolute, normalised path inside the container, never / itself."""
    if not path:
        raise InvalidArgument(f"invalid {flag} {raw!r}: the container path is missing")
    if not path.startswith("/"):
        raise InvalidArgument(
            f"invalid {flag} {raw!r}: mount path {path!r} must be absolute (start with /)"
        )
    clean = posixpath.normpath(path)
    if clean == "/" or clean == "//":
        raise InvalidArgument(f"invalid {flag} {raw!r}: the destination can't be '/'")
    return clean


def _check_mode(mode: str, raw: str) -> dict[str, str]:
    """``ro,z,rshared,nocopy`` -> one value per kind, or InvalidArgument."""
    kinds: dict[str, str] = {}
    for word in mode.split(",") if mode else []:
        if word in ("ro", "rw"):
            kind = "rw"
        elif word in _LABEL_MODES:
            kind = "label"
        elif word in PROPAGATIONS:
            kind = "propagation"
        elif word in _COPY_MODES:
            kind = "copy"
        elif word in _CONSISTENCY:
            kind = "consistency"
        else:
            raise InvalidArgument(
                f"invalid -v {raw!r}: invalid mode {word!r}; use ro or rw, z or Z, a "
                "propagation (rprivate, rshared, rslave ...), nocopy"
            )
        if kind in kinds:
            raise InvalidArgument(f"invalid -v {raw!r}: mode {mode!r} sets the {kind} twice")
        kinds[kind] = word
    return kinds


def parse_volume_flag(raw: str) -> MountPoint:
    """``-v [SOURCE:]DEST[:MODE]``: an absolute SOURCE is a host path, any
    other a volume name; DEST alone is an anonymous volume."""
    parts = raw.split(":")
    if len(parts) == 1:
        source, dest, mode = "", parts[0], ""
    elif len(parts) == 2:
        if parts[0] == "" or (not parts[1].startswith("/") and _is_mode(parts[1])):
            raise InvalidArgument(
                f"invalid -v {raw!r}: use SOURCE:DEST[:MODE] or DEST (an anonymous volume)"
            )
        source, dest, mode = parts[0], parts[1], ""
    elif len(parts) == 3:
        source, dest, mode = parts
    else:
        raise InvalidArgument(f"invalid -v {raw!r}: use SOURCE:DEST[:MODE], too many ':'")
    kinds = _check_mode(mode, raw)
    if source.startswith("."):  # the docker CLI turns ./dir into an absolute path
        source = os.path.abspath(source)
    point = MountPoint(
        type=BIND if source.startswith("/") else VOLUME,
        destination=container_path(dest, "-v", raw),
        source=posixpath.normpath(source) if source.startswith("/") else source,
        read_only=kinds.get("rw") == "ro",
        mode=mode,
        nocopy=kinds.get("copy") == "nocopy",
        propagation=kinds.get("propagation", ""),
        create_host_path=True,
    )
    if point.type == VOLUME:
        if source:
            validate_volume_name(source)
        if point.propagation:
            raise InvalidArgument(
                f"invalid -v {raw!r}: a propagation mode ({point.propagation}) applies only "
                "to host directories, not to volumes"
            )
    elif point.nocopy:
        raise InvalidArgument(f"invalid -v {raw!r}: nocopy applies only to volumes")
    return point


def _is_mode(text: str) -> bool:
    try:
        _check_mode(text, text)
    except InvalidArgument:
        return False
    return True


def _bool(key: str, value: str, raw: str) -> bool:
    lowered = value.lower()
    if lowered in ("", "1", "true", "t"):
        return True
    if lowered in ("0", "false", "f"):
        return False
    raise InvalidArgument(f"invalid --mount {raw!r}: invalid value for {key}: {value!r}; "
                          "use true or false")


def tmpfs_size(value: str, raw: str, flag: str = "--mount") -> int:
    """Docker's RAMInBytes for tmpfs-size (``16m``, ``1g``, bytes)."""
    match = _SIZE.match(value.strip())
    if not match or int(match.group(1)) == 0:
        raise InvalidArgument(
            f"invalid {flag} {raw!r}: invalid size {value!r}; use a number with an "
            "optional unit k, m or g (e.g. 16m)"
        )
    power = " kmg".index((match.group(2) or " ").lower())
    return int(match.group(1)) << (10 * power)


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


def parse_tmpfs_flag(raw: str) -> MountPoint:
    """``--tmpfs /run[:size=16m,mode=1777,exec ...]``; the options go to the
    kernel's tmpfs as given, after Docker's noexec,nosuid,nodev."""
    dest, _, opts = raw.partition(":")
    options = [o for o in opts.split(",") if o] if opts else []
    for option in options:
        key, sep, value = option.partition("=")
        if key == "size" and sep:
            tmpfs_size(value, raw, "--tmpfs")
        elif key == "mode" and not re.fullmatch(r"0?[0-7]{1,4}", value):
            raise InvalidArgument(f"invalid --tmpfs {raw!r}: invalid mode {value!r}; "
                                  "use octal, e.g. 1777")
    return MountPoint(type=TMPFS, destination=container_path(dest, "--tmpfs", raw),
                      tmpfs_options=options, from_tmpfs_flag=True,
                      read_only="ro" in options)


def parse_volumes_from(raw: str) -> tuple[str, str]:
    """``--volumes-from CONTAINER[:ro|rw]`` -> (container, mode or "")."""
    name, _, mode = raw.partition(":")
    if not name:
        raise InvalidArgument(f"invalid --volumes-from {raw!r}: name a container")
    if mode not in ("", "ro", "rw"):
        raise InvalidArgument(f"invalid --volumes-from {raw!r}: invalid mode {mode!r}; "
                              "use ro or rw")
    return name, mode
