"""A service's ``volumes``, ``tmpfs`` and ``volumes_from`` as the engine's
``-v``/``--mount``/``--tmpfs``/``--volumes-from`` values, parsed by
``StorageSettings.parse`` as ``run``'s flags are. Named volumes get the
project's real names (``project_data``); binds were made absolute against
the project directory when the files were loaded."""

from __future__ import annotations

from typing import Any

from hullbox.compose import naming
from hullbox.compose.units import parse_bytes
from hullbox.engine.settings.storage import StorageSettings
from hullbox.errors import InvalidArgument


def _check_commas(value: str, where: str) -> str:
    if "," in value:
        raise InvalidArgument(f"volumes: {where} {value!r} contains a comma, which hullbox "
                              "cannot mount yet; rename it")
    return value


def _bind(entry: dict[str, Any]) -> tuple[str | None, str | None]:
    """(-v value, --mount value): -v creates a missing host directory, as
    compose does unless ``bind.create_host_path`` is false."""
    bind = entry.get("bind") or {}
    source, target = str(entry["source"]), str(entry["target"])
    propagation = bind.get("propagation")
    if bind.get("create_host_path") is False:
        parts = [f"type=bind,source={_check_commas(source, 'source')}",
                 f"target={_check_commas(target, 'target')}"]
        if entry.get("read_only"):
            parts.append("readonly")
        if propagation:
            parts.append(f"bind-propagation={propagation}")
        return None, ",".join(parts)
    modes = [m for m in ("ro" if entry.get("read_only") else "", propagation or "") if m]
    if ":" in source or ":" in target:
        raise InvalidArgument(f"volumes: {source}:{target}: a ':' in a path cannot be "
                              "mounted; rename it")
    return f"{source}:{target}" + (f":{','.join(modes)}" if modes else ""), None


def _volume(model: dict[str, Any], entry: dict[str, Any]) -> str:
    target = _check_commas(str(entry["target"]), "target")
    parts = ["type=volume"]
    key = entry.get("source")
    if key:
        real = ((model.get("volumes") or {}).get(key) or {}).get("name") or key
        parts.append(f"source={real}")
    parts.append(f"target={target}")
    if entry.get("read_only"):
        parts.append("readonly")
    if (entry.get("volume") or {}).get("nocopy"):
        parts.append("volume-nocopy=true")
    return ",".join(parts)


def _tmpfs(entry: dict[str, Any]) -> str:
    options = entry.get("tmpfs") or {}
    parts = [f"type=tmpfs,target={_check_commas(str(entry['target']), 'target')}"]
    if options.get("size"):
        parts.append(f"tmpfs-size={options['size']}")
    if options.get("mode") is not None:
        parts.append(f"tmpfs-mode={int(options['mode']):o}")
    return ",".join(parts)


def _volumes_from(project: str, value: str) -> str:
    """``service[:mode]`` is the service's first container; ``container:NAME[:mode]``."""
    if value.startswith("container:"):
        return value.partition(":")[2]
    service, sep, mode = value.partition(":")
    return naming.container_name(project, service, 1) + (f":{mode}" if sep else "")


def _shm(service: dict[str, Any], tmpfs: list[str]) -> list[str]:
    """``shm_size``: Docker's /dev/shm is a tmpfs of that size, so it is one
    (a ``tmpfs`` the service puts at /dev/shm itself wins)."""
    size: Any = service.get("shm_size")
    if size in (None, "") or any(t.partition(":")[0] == "/dev/shm" for t in tmpfs):
        return []
    try:
        size_bytes = parse_bytes(size)
    except ValueError:
        raise InvalidArgument(f"shm_size: invalid size {size!r}; use e.g. 64m") from None
    return [f"/dev/shm:size={size_bytes},mode=1777"]


def storage_settings(project: str, model: dict[str, Any],
                     service: dict[str, Any]) -> StorageSettings:
    """The service's mounts, checked as ``run``'s flags are."""
    volumes: list[str] = []
    mounts: list[str] = []
    for entry in service.get("volumes") or []:
        kind = entry.get("type")
        if kind == "bind":
            short, long = _bind(entry)
            volumes += [short] if short else []
            mounts += [long] if long else []
        elif kind == "volume":
            mounts.append(_volume(model, entry))
        elif kind == "tmpfs":
            mounts.append(_tmpfs(entry))
        else:
            raise InvalidArgument(f"volumes: type {kind!r} at {entry.get('target')} is not "
                                  "supported; use volume, bind or tmpfs")
    from hullbox.compose.service_files import file_binds

    volumes += file_binds(model, service)
    tmpfs = service.get("tmpfs") or []
    tmpfs = [tmpfs] if isinstance(tmpfs, str) else [str(t) for t in tmpfs]
    return StorageSettings.parse(
        volumes=volumes, mounts=mounts, tmpfs=tmpfs + _shm(service, tmpfs),
        volumes_from=[_volumes_from(project, v) for v in service.get("volumes_from") or []],
    )
