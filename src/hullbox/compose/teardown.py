"""Stopping and removing a project's containers side by side, dependents
before what they depend on: a service's containers go once every service
that depends on it has gone, and services that do not depend on each other
go together, as docker compose stops them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hullbox.compose.schedule import in_dependency_order
from hullbox.store.containers import ContainerRecord

if TYPE_CHECKING:
    from hullbox.compose.operations import ComposeProject

Action = Callable[["ComposeProject", ContainerRecord], None]


def each_in_reverse(bound: ComposeProject, records: list[ContainerRecord],
                    action: Action) -> None:
    """``action(project on this thread's engine, record)`` for every record,
    a service's containers after those of the services that depend on it."""
    from hullbox.compose.operations import number_of, service_of

    by_service: dict[str, list[ContainerRecord]] = {}
    for record in sorted(records, key=number_of):
        by_service.setdefault(service_of(record), []).append(record)
    names = list(by_service)
    dependents = {name: [other for other in names
                         if name in bound.project.dependencies(other)] for name in names}

    def task(name: str, _changed: frozenset[str]) -> bool:
        with bound.own_engine() as own:
            for record in by_service[name]:
                action(own, record)
        return False

    in_dependency_order(names, dependents, task)
