"""``--secret id=NAME,src=FILE`` (or ``env=VAR``): what a build's
``RUN --mount=type=secret`` may read. The values are read once, before the
build starts, and live only in memory and in a step's private directory
while that step runs; they are never part of a cache key, a layer or the
image's history (as BuildKit)."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

from hullbox.errors import InvalidArgument

_KEYS = frozenset({"id", "type", "src", "source", "env"})


def _fields(spec: str) -> dict[str, str]:
    try:
        row = next(csv.reader([spec]))
    except (csv.Error, StopIteration):
        raise InvalidArgument(f"invalid --secret {spec!r}: use id=NAME,src=FILE") from None
    fields: dict[str, str] = {}
    for item in row:
        key, sep, value = item.strip().partition("=")
        key = key.lower()
        if key not in _KEYS or not sep:
            raise InvalidArgument(f"invalid --secret {spec!r}: unexpected {item!r}; use "
                                  "id=NAME and src=FILE or env=VARIABLE")
        fields[key] = value
    return fields


def load_secret(spec: str) -> tuple[str, bytes]:
    """(id, value) of one ``--secret`` flag, read now (docker buildx's rules:
    an id is a must; ``type`` is ``file`` or ``env``; without it, ``env=``
    means the variable, else ``src`` the file; with neither, an environment
    variable named as the id, else a file of that name)."""
    fields = _fields(spec)
    secret_id = fields.get("id", "")
    source = fields.get("src") or fields.get("source") or ""
    kind = fields.get("type", "")
    if kind not in ("", "file", "env"):
        raise InvalidArgument(f"invalid --secret {spec!r}: type is file or env")
    if "env" in fields:
        kind, source = "env", fields["env"]
    if not secret_id:
        raise InvalidArgument(f"invalid --secret {spec!r}: an id is needed (id=NAME)")
    if not kind:
        kind = "env" if not source and secret_id in os.environ else "file"
    source = source or secret_id
    if kind == "env":
        if source not in os.environ:
            raise InvalidArgument(f"--secret {spec}: the environment variable {source} "
                                  "is not set")
        return secret_id, os.environ[source].encode(errors="surrogateescape")
    try:
        return secret_id, Path(source).read_bytes()
    except OSError as exc:
        raise InvalidArgument(f"--secret {spec}: cannot read {source}: "
                              f"{exc.strerror or exc}") from None


def load_secrets(specs: list[str]) -> dict[str, bytes]:
    """Every ``--secret`` of a build, by id (a later one wins, as docker)."""
    return dict(load_secret(spec) for spec in specs)


def load_ssh(specs: list[str]) -> dict[str, str]:
    """``--ssh default`` or ``--ssh ID=SOCKET``: ssh-agent sockets a RUN
    ``--mount=type=ssh`` may use, by id (``default`` is $SSH_AUTH_SOCK).
    Only agent sockets: keys must be loaded into an agent first."""
    out: dict[str, str] = {}
    for spec in specs:
        ssh_id, sep, path = spec.partition("=")
        if not ssh_id:
            raise InvalidArgument(f"invalid --ssh {spec!r}: use default or ID=SOCKET")
        if not sep:
            path = os.environ.get("SSH_AUTH_SOCK", "")
            if not path:
                raise InvalidArgument(f"--ssh {spec}: SSH_AUTH_SOCK is not set; start "
                                      "ssh-agent or give ID=SOCKET")
        try:
            is_socket = stat.S_ISSOCK(os.stat(path).st_mode)
        except OSError as exc:
            raise InvalidArgument(f"--ssh {spec}: {path}: {exc.strerror or exc}") from None
        if not is_socket:
            raise InvalidArgument(f"--ssh {spec}: {path} is not an agent socket; load the "
                                  "key into ssh-agent and give its socket")
        out[ssh_id] = path
    return out
