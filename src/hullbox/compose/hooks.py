"""``post_start`` and ``pre_stop``: commands compose runs inside a service's
container right after it starts and right before it is stopped, each with
its own ``user``, ``privileged``, ``environment`` and ``working_dir``, as
docker compose runs them (an exec). A hook that fails fails the command,
naming the service, the status and the tail of the hook's output."""

from __future__ import annotations

import tempfile
from typing import Any

from hullbox.errors import RuntimeFailure
from hullbox.store.containers import ContainerRecord

_TAIL_LINES = 10  # docker compose keeps the last 10 lines of a failing hook's output
_TAIL_BYTES = 2048


def _environment(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [f"{k}={'' if v is None else v}" for k, v in value.items()]
    return [str(v) for v in value or []]


def _tail(data: bytes) -> str:
    lines = [line.rstrip("\r") for line in data.decode(errors="replace").splitlines()
             if line.strip()]
    return "\n".join(lines[-_TAIL_LINES:]).strip()[-_TAIL_BYTES:]


def run_hooks(engine: Any, record: ContainerRecord, service_name: str,
              hooks: list[dict[str, Any]]) -> None:
    """Each hook in turn, in ``record``; RuntimeFailure on the first that fails."""
    from hullbox.engine.exec import ExecOptions

    for hook in hooks:
        options = ExecOptions(env=_environment(hook.get("environment")),
                              workdir=hook.get("working_dir") or None,
                              user=None if hook.get("user") is None else str(hook["user"]),
                              privileged=bool(hook.get("privileged")))
        with tempfile.TemporaryFile() as output:
            code = engine.processes.exec(record.id, list(hook["command"]), options,
                                         stdin=None, stdout=output.fileno(),
                                         stderr=output.fileno())
            output.seek(0)
            text = _tail(output.read())
        if code != 0:
            detail = f": {text}" if text else ""
            raise RuntimeFailure(f"{service_name} hook exited with status {code}{detail}")


def post_start(engine: Any, record: ContainerRecord, service_name: str,
               service: dict[str, Any]) -> None:
    """The service's ``post_start`` hooks, once its container has started."""
    if service.get("post_start"):
        run_hooks(engine, record, service_name, service["post_start"])


def pre_stop(engine: Any, record: ContainerRecord, service_name: str,
             service: dict[str, Any]) -> None:
    """The service's ``pre_stop`` hooks, while its container still runs."""
    from hullbox.engine.lifecycle import is_active

    if service.get("pre_stop") and is_active(record) and not _paused(record):
        run_hooks(engine, record, service_name, service["pre_stop"])


def _paused(record: ContainerRecord) -> bool:
    from hullbox.engine.runstatus import paused

    return bool(paused(record))

