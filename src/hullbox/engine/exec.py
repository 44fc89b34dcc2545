"""``exec``: another process in a running container, set up like Docker's
daemon sets it up: the container's own process (capabilities, rlimits,
no_new_privs, environment) with the command, user, workdir and extra
environment of the request, run by the built-in runtime's exec."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from hullbox.engine.rootfs import ContainerPaths, resolve_user
from hullbox.errors import Conflict, InvalidArgument, RuntimeFailure
from hullbox.oci.runtime_spec import Process, User, parse_spec
from hullbox.store.containers import RUNNING, ContainerRecord
from hullbox.store.store import Store


@dataclass
class ExecOptions:
    """What ``docker exec`` takes besides the container and the command."""

    env: list[str] = field(default_factory=list)
    workdir: str | None = None
    user: str | None = None
    tty: bool = False
    privileged: bool = False  # every capability (exec --privileged, compose hooks)


def runtime_root() -> str:
    """The built-in runtime's state root of hullbox's containers."""
    from hullbox.engine.launch import runtime_state_root

    return str(runtime_state_root() / "runtime")


def check_running(store: Store, record: ContainerRecord) -> None:
    """Conflict (one line, 125) unless the container runs and is not paused."""
    if record.state != RUNNING or not record.pid:
        raise Conflict(f"container {record.name} is not running; start it first "
                       f"(hullbox start {record.name})")
    from hullbox.engine.pause import is_paused

    if is_paused(record.id):
        raise Conflict(f"container {record.name} is paused; unpause it first "
                       f"(hullbox unpause {record.name})")
    from hullbox.engine.options import ContainerOptions

    runtime = ContainerOptions.from_json(record.config).runtime
    if runtime != "hullbox":
        raise InvalidArgument(f"exec into a container run by {runtime} is not supported "
                              "yet; use the built-in runtime")


def exec_process(store: Store, record: ContainerRecord, command: list[str],
                 options: ExecOptions) -> Process:
    """The runtime-spec process of an exec: the container's, changed as asked."""
    if not command:
        raise InvalidArgument("exec needs a command to run: hullbox exec CONTAINER CMD...")
    from hullbox.engine.specgen import merge_env

    paths = ContainerPaths(store.container_dir(record.id))
    try:
        base = parse_spec(json.loads(paths.config.read_bytes())).process
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RuntimeFailure(f"exec in container {record.name}: read its config: "
                             f"{exc}") from exc
    for item in options.env:
        if not item or item.startswith("="):
            raise InvalidArgument(f"invalid environment variable {item!r}: use NAME=value")
    user = base.user
    home = ""
    if options.user:
        resolved = resolve_user(Path(paths.rootfs), options.user)
        user = User(resolved.uid, resolved.gid, resolved.additional_gids, base.user.umask)
        home = resolved.home
    extra = list(options.env)
    if home:
        extra.insert(0, f"HOME={home}")  # the exec user's home, unless -e sets one
    if options.tty and not any(e.startswith("TERM=") for e in [*base.env, *extra]):
        extra.append("TERM=xterm")
    env = merge_env(list(base.env), extra, "")
    capabilities = base.capabilities
    if options.privileged:
        from hullbox.engine.security import all_capabilities
        from hullbox.oci.runtime_spec import Capabilities

        every = tuple(all_capabilities())
        capabilities = Capabilities(every, every, (), every)
    return Process(tuple(command), tuple(env), options.workdir or base.cwd, user,
                   options.tty, capabilities, base.rlimits, base.no_new_privileges)
