"""A RUN step's ``--mount``s and heredoc scripts made real: runtime-spec
mounts of cache dirs, context or stage paths, tmpfs and secrets. What they
need on the host lives in the step's workspace or the ``with`` stack the
caller gives, so it goes when the step ends."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hullbox.build.context import BuildContext
from hullbox.build.copier import scoped
from hullbox.build.mounts import RunMount
from hullbox.build.plan import BaseImage, Plan
from hullbox.build.runops import RunOp
from hullbox.build.workspace import Workspace
from hullbox.errors import InvalidArgument
from hullbox.store.store import Store

#: (stage index or None, image or None, stack) -> a read-only view of its filesystem
Viewer = Callable[[int | None, BaseImage | None, contextlib.ExitStack], Path]


class SecretNotFound(InvalidArgument):
    """A ``required`` secret mount whose id no ``--secret`` gave."""


def _not_found(kind: str, secret_id: str) -> SecretNotFound:
    if kind == "ssh":
        return SecretNotFound(f"no ssh agent {secret_id!r} was forwarded: give it with "
                              f"--ssh {secret_id}[=SOCKET]")
    return SecretNotFound(f"secret {secret_id} not found: give it with "
                          f"--secret id={secret_id},src=FILE")


def check_required_secrets(plan: Plan, secrets: dict[str, bytes], ssh: dict[str, str],
                           dockerfile: str) -> None:
    """Before anything runs: every ``required`` secret or agent must be given."""
    for planned in plan.stages:
        for step in planned.steps:
            for mount in step.run.mounts if step.run is not None else []:
                given = secrets if mount.kind == "secret" else ssh
                if mount.kind in ("secret", "ssh") and mount.required and (
                        mount.cache_id not in given):
                    raise SecretNotFound(f"{dockerfile}:{step.inst.line}: "
                                         f"{_not_found(mount.kind, mount.cache_id)}")


class RunMounts:
    """Makes the mounts of one build's RUN steps."""

    def __init__(self, store: Store, context: BuildContext, view: Viewer,
                 secrets: dict[str, bytes], ssh: dict[str, str]) -> None:
        self.store = store
        self.context = context
        self.view = view
        self.secrets = secrets
        self.ssh = ssh

    def make(self, op: RunOp, space: Workspace,
             stack: contextlib.ExitStack) -> tuple[list[dict[str, Any]], list[str]]:
        """(runtime-spec mounts, NAME=value pairs to add to the environment)."""
        mounts: list[dict[str, Any]] = []
        env: list[str] = []
        for mount in op.mounts:
            if mount.kind == "secret":
                mounts += self._secret(mount, space, env)
            elif mount.kind == "ssh":
                mounts += self._agent(mount, env)
            else:
                mounts.append(self._one(mount, stack))
        mounts += self._scripts(op, space)
        return mounts, env

    def _secret(self, mount: RunMount, space: Workspace, env: list[str]) -> list[dict[str, Any]]:
        value = self.secrets.get(mount.cache_id)
        if value is None:
            if mount.required:
                raise _not_found("secret", mount.cache_id)
            return []  # BuildKit runs the step without it
        if mount.secret_env:
            env.append(f"{mount.secret_env}={value.decode(errors='surrogateescape')}")
        if not mount.target:
            return []
        # the step's own directory (0700, removed with the step), not a layer
        holder = space.base / "secrets"
        holder.mkdir(mode=0o700, exist_ok=True)
        path = holder / hashlib.sha256(mount.cache_id.encode()).hexdigest()[:16]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(value)
        os.chown(path, mount.uid or 0, mount.gid or 0)
        os.chmod(path, mount.mode if mount.mode is not None else 0o400)
        return [{"destination": mount.target, "type": "bind", "source": str(path),
                 "options": ["rbind", "ro", "nosuid", "nodev", "noexec"]}]

    def _agent(self, mount: RunMount, env: list[str]) -> list[dict[str, Any]]:
        socket = self.ssh.get(mount.cache_id)
        if socket is None:
            if mount.required:
                raise _not_found("ssh", mount.cache_id)
            return []
        env.append(f"SSH_AUTH_SOCK={mount.target}")
        return [{"destination": mount.target, "type": "bind", "source": socket,
                 "options": ["rbind", "nosuid", "nodev", "noexec"]}]

    def _scripts(self, op: RunOp, space: Workspace) -> list[dict[str, Any]]:
        mounts = []
        for name, body in op.scripts.items():
            path = space.base / f"script-{name}"
            path.write_text(body)
            path.chmod(0o755)
            mounts.append({"destination": f"/dev/pipes/{name}", "type": "bind",
                           "source": str(path), "options": ["rbind", "ro"]})
        return mounts

    def _one(self, mount: RunMount, stack: contextlib.ExitStack) -> dict[str, Any]:
        spec: dict[str, Any] = {"destination": mount.target}
        if mount.kind == "tmpfs":
            options = ["nosuid", "nodev"] + ([f"size={mount.size}"] if mount.size else [])
            return {**spec, "type": "tmpfs", "source": "tmpfs", "options": options}
        if mount.kind == "cache":
            path = self.store.root / "buildcache-mounts" / hashlib.sha256(
                mount.cache_id.encode()).hexdigest()[:32]
            if not path.is_dir():
                path.mkdir(parents=True, mode=mount.mode if mount.mode is not None else 0o755)
                os.chown(path, mount.uid or 0, mount.gid or 0)
            return {**spec, "type": "bind", "source": str(path), "options": ["rbind", "rw"]}
        source = self._bind_source(mount, stack)
        if not mount.readonly:  # writes allowed but thrown away, as in BuildKit
            if not source.is_dir():
                raise InvalidArgument(f"--mount={mount.target}: rw needs a directory source")
            source = stack.enter_context(Workspace(self.store.tmp_dir, [source])).rootfs
        return {**spec, "type": "bind", "source": str(source),
                "options": ["rbind", "ro" if mount.readonly else "rw"]}

    def _bind_source(self, mount: RunMount, stack: contextlib.ExitStack) -> Path:
        if mount.from_stage is None and mount.from_image is None:
            return self.context.path(mount.context_source())
        root = self.view(mount.from_stage, mount.from_image, stack)
        found = scoped(root, mount.source or "/")
        if not found.exists():
            raise InvalidArgument(f"--mount: {mount.source} not found in {mount.from_name}")
        return found
