"""``compose run``: a one-off container of a service (labelled
``oneoff``), made once the service's dependencies are up, then run in the
foreground (its exit code is the command's) or, with ``-d``, in the
background."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from hullbox.errors import HullboxError
from hullbox.store.containers import ContainerRecord

if TYPE_CHECKING:
    from hullbox.compose.operations import ComposeProject


def _one_off(bound: ComposeProject, service: str, command: list[str] | None, *,
             no_deps: bool, name: str | None, auto_remove: bool = False) -> ContainerRecord:
    """A one-off container of ``service``, created once its dependencies are up."""
    bound.project.service(service)
    deps = [d for d in bound.project.with_dependencies([service]) if d != service]
    if deps and not no_deps:
        from hullbox.compose.operations import UpOptions

        bound.up(deps, UpOptions(keep_running=True))
    plan = bound.plans([service])[service]
    bound.prepare([service])  # its image, networks and volumes, which no dependency made
    name = name or f"{bound.project.name}-{service}-run-{os.urandom(6).hex()}"
    return bound._create(plan, 1, oneoff=True, command=command, name=name,
                         auto_remove=auto_remove)


def run(bound: ComposeProject, service: str, command: list[str] | None, *,
        remove: bool = False, no_deps: bool = False, name: str | None = None,
        stdio: tuple[int | None, int, int] = (0, 1, 2)) -> int:
    """``run``: a one-off container of ``service`` in the foreground, after
    its dependencies are up; its exit code."""
    record = _one_off(bound, service, command, no_deps=no_deps, name=name)
    try:
        stdin, stdout, stderr = stdio
        return bound.engine.containers.start_attached(  # type: ignore[no-any-return]
            record.id, stdin=stdin, stdout=stdout, stderr=stderr)
    finally:
        if remove:
            bound.engine.containers.remove(record.id, force=True)


def run_detached(bound: ComposeProject, service: str, command: list[str] | None, *,
                 remove: bool = False, no_deps: bool = False,
                 name: str | None = None) -> ContainerRecord:
    """``run -d``: the one-off container started in the background (removed
    when it exits with ``remove``)."""
    record = _one_off(bound, service, command, no_deps=no_deps, name=name,
                      auto_remove=remove)
    try:
        return bound.engine.containers.start(record.id)  # type: ignore[no-any-return]
    except HullboxError:
        bound.engine.containers.remove(record.id, force=True)
        raise
