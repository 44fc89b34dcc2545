"""Service ``volumes:`` in short syntax (``[SOURCE:]TARGET[:MODE]``) turned
into the long syntax as compose-go does: a source that starts with ``/``,
``.`` or ``~`` is a bind mount, any other a named volume, none an anonymous
volume."""

from __future__ import annotations

from typing import Any

_PROPAGATION = ("shared", "rshared", "slave", "rslave", "private", "rprivate")
_CONSISTENCY = ("consistent", "cached", "delegated")


def _is_path(source: str) -> bool:
    return source.startswith(("/", ".", "~")) or (len(source) > 1 and source[1] == ":"
                                                   and source[0].isalpha())


def _split(spec: str) -> list[str]:
    parts = spec.split(":")
    # A Windows drive letter (C:\data:/data) is part of the source.
    if len(parts) > 2 and len(parts[0]) == 1 and parts[0].isalpha() and parts[1][:1] in "\\/":
        parts = [parts[0] + ":" + parts[1], *parts[2:]]
    return parts


def parse_volume(spec: str) -> dict[str, Any]:
    """The long syntax of one short-syntax volume; ValueError(message)."""
    parts = _split(spec)
    if len(parts) > 3 or not all(parts[:2]) or not spec:
        raise ValueError(f'invalid volume "{spec}": use [SOURCE:]TARGET[:MODE]')
    if len(parts) == 1:
        return {"type": "volume", "target": parts[0], "volume": {}}
    source, target = parts[0], parts[1]
    modes = parts[2].split(",") if len(parts) == 3 else []
    volume: dict[str, Any] = {"type": "bind" if _is_path(source) else "volume",
                              "source": source, "target": target}
    options: dict[str, Any] = {}
    for mode in modes:
        if mode == "ro":
            volume["read_only"] = True
        elif mode == "rw":
            volume["read_only"] = False
        elif mode in ("z", "Z"):
            options["selinux"] = mode
        elif mode in _PROPAGATION:
            options["propagation"] = mode
        elif mode == "nocopy":
            options["nocopy"] = True
        elif mode in _CONSISTENCY:
            volume["consistency"] = mode
        else:
            raise ValueError(f'invalid volume "{spec}": unknown mode {mode!r}')
    if volume["type"] == "volume":
        if "propagation" in options or "selinux" in options:
            raise ValueError(f'invalid volume "{spec}": {modes} applies only to bind mounts')
        volume["volume"] = {"nocopy": True} if options.get("nocopy") else {}
    else:
        if options.get("nocopy"):
            raise ValueError(f'invalid volume "{spec}": nocopy applies only to named volumes')
        volume["bind"] = {k: v for k, v in options.items() if k != "nocopy"}
    if volume.get("read_only") is False:
        del volume["read_only"]
    return volume


def normalize_volume(value: Any) -> dict[str, Any]:
    """One ``volumes`` item, short or long, in the long syntax."""
    if isinstance(value, str):
        return parse_volume(value)
    out = dict(value)
    if out.get("type") == "tmpfs" and isinstance(out.get("tmpfs"), dict):
        tmpfs = dict(out["tmpfs"])
        if "size" in tmpfs:
            from hullbox.compose.units import parse_bytes

            tmpfs["size"] = str(parse_bytes(tmpfs["size"]))
        out["tmpfs"] = tmpfs
    for flag in ("read_only",):
        if isinstance(out.get(flag), str):
            out[flag] = out[flag].lower() == "true"
    if out.get("read_only") is False:
        del out["read_only"]
    return out


def volume_key(entry: dict[str, Any]) -> Any:
    """Two volumes at the same container path are one when files are merged."""
    return entry.get("target")
