"""The mount flags of ``run``/``create`` as Docker reads them: ``-v``,
``--tmpfs`` and ``--volumes-from`` (``--mount`` is in ``mountflag``). Pure: no
I/O but the current directory for a relative ``-v ./dir:/x``."""

from __future__ import annotations

import os
import posixpath
import re

from hullbox.errors import InvalidArgument
from hullbox.volume.mountpoint import BIND, PROPAGATIONS, TMPFS, VOLUME, MountPoint
from hullbox.volume.names import validate_volume_name

_LABEL_MODES = ("z", "Z")
_COPY_MODES = ("copy", "nocopy")
_CONSISTENCY = ("consistent", "cached", "delegated")
_SIZE = re.compile(r"^(\d+)([kmg]?)(?:i?b)?$", re.IGNORECASE)


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
