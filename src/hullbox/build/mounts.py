"""``RUN --mount=type=bind|cache|tmpfs|secret,...``: parsed and checked (pure)."""

from __future__ import annotations

import csv
import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hullbox.build.context import context_path
from hullbox.build.instructions import Instruction
from hullbox.build.shell_lex import Env, ShellLex

if TYPE_CHECKING:
    from hullbox.build.plan import BaseImage

_KINDS = ("bind", "cache", "tmpfs", "secret", "ssh")
_KEYS = frozenset({"type", "target", "dst", "destination", "source", "src", "from", "ro",
                   "readonly", "rw", "readwrite", "id", "sharing", "mode", "uid", "gid",
                   "size", "required", "env"})
SECRETS_DIR = "/run/secrets"
SSH_SOCKET = "/run/buildkit/ssh_agent.0"  # where BuildKit puts the first agent


@dataclass
class RunMount:
    """One --mount of a RUN."""

    kind: str
    target: str
    source: str = ""
    from_name: str = ""
    readonly: bool = False
    cache_id: str = ""
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None
    size: str = ""
    from_stage: int | None = None
    from_image: BaseImage | None = None
    secret_env: str = ""  # a secret given as this variable (with no file unless a target)
    required: bool = False

    def key_data(self) -> dict[str, Any]:
        # a cache mount's content is not an input: it may differ between runs;
        # nor is a secret's value (BuildKit): only where it goes
        return {"type": self.kind, "target": self.target, "source": self.source,
                "ro": self.readonly,
                "id": self.cache_id if self.kind in ("cache", "secret") else "",
                "from_name": self.from_name, "env": self.secret_env}

    def context_source(self) -> str:
        return context_path(self.source or ".")


def parse_mount(text: str, inst: Instruction, lex: ShellLex, env: Env) -> RunMount:
    """One ``--mount`` value; the error names the instruction's line."""
    fields: dict[str, str] = {}
    try:
        row = next(csv.reader([lex.process_word(text, env)]))
    except (csv.Error, StopIteration):
        raise inst.error(f"invalid --mount={text}") from None
    for item in row:
        key, sep, value = item.strip().partition("=")
        key = key.lower()
        if key not in _KEYS:
            raise inst.error(f"--mount: unexpected key {key!r} in {item!r}")
        fields[key] = value if sep else "true"
    kind = fields.get("type", "bind")
    if kind not in _KINDS:
        raise inst.error(f"--mount: unknown type {kind!r}; use bind, cache, tmpfs, secret "
                         "or ssh")
    target = fields.get("target") or fields.get("dst") or fields.get("destination") or ""
    if kind == "secret":
        return _secret(text, fields, target, inst)
    if kind == "ssh":
        mount = RunMount("ssh", posixpath.normpath(posixpath.join("/", target or SSH_SOCKET)),
                         cache_id=fields.get("id") or "default", readonly=True)
        mount.required = fields.get("required", "false").lower() in ("true", "1")
        return mount
    if not target:
        raise inst.error(f"--mount={text}: a target is required")
    workdir = "/"
    mount = RunMount(kind, posixpath.normpath(posixpath.join(workdir, target)))
    mount.source = fields.get("source") or fields.get("src") or ""
    mount.from_name = fields.get("from", "")
    rw = fields.get("rw") or fields.get("readwrite")
    ro = fields.get("ro") or fields.get("readonly")
    mount.readonly = (ro == "true") if ro else (kind == "bind" and rw != "true")
    mount.cache_id = fields.get("id") or mount.target
    mount.size = fields.get("size", "")
    _owner(mount, fields, text, inst)
    return mount


def _owner(mount: RunMount, fields: dict[str, str], text: str, inst: Instruction) -> None:
    try:
        if "mode" in fields:
            mount.mode = int(fields["mode"], 8)
        if "uid" in fields:
            mount.uid = int(fields["uid"])
        if "gid" in fields:
            mount.gid = int(fields["gid"])
    except ValueError:
        raise inst.error(f"--mount={text}: mode is octal, uid and gid are numbers") from None


def _secret(text: str, fields: dict[str, str], target: str, inst: Instruction) -> RunMount:
    """type=secret: ``id`` defaults to the target's name, the target to
    /run/secrets/ID (none when only ``env`` is asked for); mode 0400."""
    secret_id = fields.get("id") or posixpath.basename(target.rstrip("/"))
    if not secret_id:
        raise inst.error(f"--mount={text}: a secret needs an id (id=NAME) or a target")
    env = fields.get("env", "")
    if not target and not env:
        target = f"{SECRETS_DIR}/{secret_id}"
    mount = RunMount("secret", posixpath.normpath(posixpath.join("/", target)) if target
                     else "", cache_id=secret_id, readonly=True, secret_env=env)
    mount.required = fields.get("required", "false").lower() in ("true", "1")
    mount.mode = 0o400
    _owner(mount, fields, text, inst)
    return mount
