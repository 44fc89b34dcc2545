"""Stopping and removing a project's containers side by side, dependents
before what they depend on: a service's containers go once every service
that depends on it has gone, and services that do not depend on each other
go together, as docker compose stops them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from hullbox.compose.bound import BoundProject
from hullbox.compose.records import by_service as group
from hullbox.compose.schedule import in_dependency_order
from hullbox.store.containers import ContainerRecord

Bound = TypeVar("Bound", bound=BoundProject)


def each_in_reverse(bound: Bound, records: list[ContainerRecord],
                    action: Callable[[Bound, ContainerRecord], None]) -> None:
    """``action(project on this thread's engine, record)`` for every record,
    a service's containers after those of the services that depend on it."""
    by_service = group(records)
    names = list(by_service)
    dependents = {name: [other for other in names
                         if name in bound.project.dependencies(other)] for name in names}

    def task(name: str, _changed: frozenset[str]) -> bool:
        with bound.own_engine() as own:
            for record in by_service[name]:
                action(own, record)
        return False

    in_dependency_order(names, dependents, task)
