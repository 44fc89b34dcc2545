"""cloud-init's NoCloud seed: a small ISO 9660 volume labelled ``cidata``
holding ``user-data`` and ``meta-data``, which cloud-init in the guest finds
by its label (as ``cloud-localds`` makes it). Written with pycdlib, so it
needs neither root nor an ISO tool."""

from __future__ import annotations

import io
from pathlib import Path

import pycdlib
import yaml

from hullbox.errors import InvalidArgument

LABEL = "cidata"
_FORMATS = "a '#cloud-config' YAML document or a '#!' script"


def read_user_data(path: str) -> bytes:
    """The user-data file's bytes, or one line saying why cloud-init would not
    take it: it must start with ``#cloud-config`` (and then be a YAML
    mapping) or be a script (``#!``)."""
    file = Path(path).expanduser()
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise InvalidArgument(f"--cloud-init {path}: no such file") from None
    except OSError as exc:
        raise InvalidArgument(f"--cloud-init {path}: {exc.strerror}") from None
    first = data.split(b"\n", 1)[0].strip()
    if first.startswith(b"#!"):
        return data
    if first != b"#cloud-config":
        shown = first[:40].decode(errors="replace")
        raise InvalidArgument(f"--cloud-init {path} is not cloud-init user-data: it must be "
                              f"{_FORMATS} (its first line is {shown!r})")
    try:
        document = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InvalidArgument(f"--cloud-init {path}: invalid YAML{line}: {problem}") from None
    if document is not None and not isinstance(document, dict):
        raise InvalidArgument(f"--cloud-init {path}: a #cloud-config document must be a "
                              f"YAML mapping (key: value), not a {type(document).__name__}")
    return data


def meta_data(instance_id: str, hostname: str) -> bytes:
    """NoCloud's meta-data: a new instance-id makes cloud-init run again."""
    return f"instance-id: {instance_id}\nlocal-hostname: {hostname}\n".encode()


def write_seed(target: Path, user_data: bytes, instance_id: str, hostname: str,
               network_config: bytes | None = None) -> None:
    """Write the seed volume to ``target``; a ``network-config`` on it
    replaces the guest's default (DHCP on its first NIC)."""
    files = {"user-data": user_data, "meta-data": meta_data(instance_id, hostname)}
    if network_config is not None:
        files["network-config"] = network_config
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident=LABEL)
    try:
        for name, data in files.items():
            # ISO 9660 names are upper case; Rock Ridge and Joliet carry
            # the real ones, which is what a guest's kernel shows
            iso_name = "/" + name.replace("-", "_").upper() + ".;1"
            iso.add_fp(io.BytesIO(data), len(data), iso_name, rr_name=name,
                       joliet_path=f"/{name}")
        iso.write(str(target))
    finally:
        iso.close()


def seed_user_data(seed: Path) -> bytes:
    """The user-data inside an existing seed (a clone gets a seed of its own
    with the same user-data)."""
    iso = pycdlib.PyCdlib()
    iso.open(str(seed))
    try:
        out = io.BytesIO()
        iso.get_file_from_iso_fp(out, rr_path="/user-data")
        return out.getvalue()
    finally:
        iso.close()


def refresh_seed(seed: Path, instance_id: str, hostname: str,
                 network_config: bytes | None) -> None:
    """Write the seed again with this start's network-config (its address
    may differ from the last start's), replacing it in one step."""
    fresh = seed.with_name(f".{seed.name}.new")
    try:
        write_seed(fresh, seed_user_data(seed), instance_id, hostname, network_config)
        fresh.replace(seed)
    finally:
        fresh.unlink(missing_ok=True)
