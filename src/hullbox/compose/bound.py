"""A loaded compose project bound to an engine: what exists of it (its
containers, by Docker Compose's labels), the plan of each service, and what
its containers need first (images, networks, volumes). The verbs build on
this in compose.converge (``up``) and compose.verbs_lifecycle (the rest)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Self

from hullbox.compose import naming, resources
from hullbox.compose.images import ensure_images
from hullbox.compose.plan import ServicePlan, plan_service
from hullbox.compose.project import Project
from hullbox.compose.records import is_oneoff, number_of, service_of
from hullbox.store.containers import ContainerRecord

Report = Callable[[str, str], None]  # (container name, what happened)


def _quiet(_name: str, _event: str) -> None:
    pass


class BoundProject:
    """A loaded project bound to an engine."""

    def __init__(self, engine: Any, project: Project, report: Report = _quiet,
                 progress: Callable[[str], None] | None = None) -> None:
        self.engine = engine
        self.project = project
        self.report = report
        self.progress = progress or (lambda _line: None)

    def _report_resource(self, kind: str, name: str, event: str) -> None:
        self.report(name, event) if kind == "Container" else self.report(
            f"{kind} {name}", event)

    def containers(self, services: list[str] | None = None, *, oneoff: bool = False,
                   running_only: bool = False) -> list[ContainerRecord]:
        """The project's containers (of ``services``), ordered by service and number."""
        label = f"{naming.LABEL_PROJECT}={self.project.name}"
        found = self.engine.containers.list(all=not running_only, filters={"label": [label]})
        out = [record for record in found if is_oneoff(record) == oneoff
               and (not services or service_of(record) in services)]
        return sorted(out, key=lambda r: (service_of(r), number_of(r)))

    def plans(self, names: list[str]) -> dict[str, ServicePlan]:
        """Every service's plan, made before anything is created, so an
        unsupported or invalid attribute refuses the whole command and
        leaves nothing."""
        return {name: plan_service(self.project.name, self.project.model, name)
                for name in names}

    def prepare(self, names: list[str], *, build: bool = False) -> None:
        """Images built or pulled, networks and named volumes made: what the
        services' containers need before the first is created."""
        services, model = self.project.services, self.project.model
        ensure_images(self.engine, self.project.name, services, names, self.progress,
                      build=build)
        resources.ensure_networks(self.engine, self.project.name, model,
                                  resources.used_networks(services, names),
                                  self._report_resource)
        resources.ensure_volumes(self.engine, self.project.name, model,
                                 resources.used_volumes(services, names),
                                 self._report_resource)

    @contextmanager
    def own_engine(self) -> Iterator[Self]:
        """This project on an engine of the calling thread's own (an object
        of the same class): a store's SQLite connection belongs to the
        thread that opened it."""
        if threading.current_thread() is threading.main_thread():
            yield self
            return
        engine = type(self.engine)(self.engine.store.root)
        try:
            yield type(self)(engine, self.project, self.report, self.progress)
        finally:
            engine.close()

    def stop_one(self, record: ContainerRecord, timeout: float | None = None) -> None:
        """The service's pre_stop hooks, then stop (its stop_signal, then its
        grace period or ``timeout``)."""
        from hullbox.compose.hooks import pre_stop

        service = service_of(record)
        pre_stop(self.engine, record, service, self.project.services.get(service) or {})
        self.engine.containers.stop(record.id, timeout)

    def _remove(self, record: ContainerRecord, *, volumes: bool = False,
                timeout: float | None = None) -> None:
        """Stop and remove."""
        self.stop_one(record, timeout)
        self.engine.containers.remove(record.id, force=True, volumes=volumes)

    def remove_orphans(self) -> None:
        """Containers of this project whose service is gone from the files."""
        for record in self.containers():
            if service_of(record) not in self.project.services and \
                    service_of(record) not in self.project.disabled:
                self._remove(record)
                self.report(record.name, "Removed")
