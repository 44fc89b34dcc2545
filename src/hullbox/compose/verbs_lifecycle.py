"""``start``, ``stop``, ``restart``, ``kill``, ``rm`` and ``down`` of a
compose project's containers. Starting goes dependencies first and side by
side (compose.schedule), each service once its dependencies meet their
``depends_on`` conditions; stopping and removing go dependents first
(compose.teardown)."""

from __future__ import annotations

from hullbox.compose import resources
from hullbox.compose.converge import Converging, restarted_by
from hullbox.compose.records import by_service, is_oneoff, service_of
from hullbox.compose.schedule import in_dependency_order
from hullbox.compose.teardown import each_in_reverse
from hullbox.engine.lifecycle import is_active, parse_signal
from hullbox.errors import HullboxError
from hullbox.store.containers import ContainerRecord


class LifecycleVerbs(Converging):
    """The verbs on containers that exist."""

    def stop(self, services: list[str] | None = None, timeout: float | None = None) -> None:
        """Stop running containers, dependents before their dependencies."""
        def stop(own: LifecycleVerbs, record: ContainerRecord) -> None:
            own.stop_one(record, timeout)
            own.report(record.name, "Stopped")

        each_in_reverse(self, self.containers(services, running_only=True), stop)

    def start(self, services: list[str] | None = None,
              wait_timeout: float | None = None) -> None:
        """Start existing containers: dependencies first, services that do
        not depend on each other side by side, a service once what it
        depends on (among those started) meets its ``depends_on`` condition."""
        records = by_service(self.containers(services))
        if not records:
            raise HullboxError("no containers to start; create them with: hullbox compose up")
        names = list(records)

        def start(name: str, _changed: frozenset[str]) -> bool:
            with self.own_engine() as own:
                own.wait_for_dependencies(name, wait_timeout, among=names)
                for record in records[name]:
                    if not is_active(record):  # a running one is left, hooks and all
                        own.start_one(record)
            return False

        in_dependency_order(names, {n: self.project.dependencies(n) for n in names}, start)

    def restart(self, services: list[str] | None = None, timeout: float | None = None,
                no_deps: bool = False) -> None:
        """Stop then start; the services that depend on these with
        ``restart: true`` too, unless ``no_deps``."""
        if services and not no_deps:
            services = self.restart_dependents(services)
        self.stop(services, timeout)
        self.start(services)

    def restart_dependents(self, names: list[str]) -> list[str]:
        """``names`` and the services that depend on one of them (directly or
        through others) with ``restart: true``."""
        found = list(names)
        for name in found:  # grows while it is walked: a breadth-first closure
            for other, service in self.project.services.items():
                if other not in found and name in restarted_by(service.get("depends_on")):
                    found.append(other)
        return found

    def kill(self, services: list[str] | None = None, sig: str = "KILL") -> None:
        """Send a signal to the running containers."""
        parse_signal(sig)
        for record in self.containers(services, running_only=True):
            self.engine.containers.kill(record.id, sig)
            self.report(record.name, "Killed")

    def remove(self, services: list[str] | None = None, *, stop: bool = False,
               volumes: bool = False) -> int:
        """``rm``: stopped containers (running ones too with ``stop``)."""
        removed = 0
        for record in self.containers(services):
            if is_active(record) and not stop:
                continue
            self._remove(record, volumes=volumes)
            self.report(record.name, "Removed")
            removed += 1
        return removed

    def down(self, *, remove_orphans: bool = False, timeout: float | None = None,
             volumes: bool = False) -> None:
        """Stop and remove the project's containers (one-off ones too), then
        its networks, and with ``volumes`` its named and anonymous volumes."""
        records = [r for r in self.containers() + self.containers(oneoff=True)
                   if service_of(r) in self.project.services or remove_orphans
                   or is_oneoff(r)]

        def remove(own: LifecycleVerbs, record: ContainerRecord) -> None:
            own._remove(record, volumes=volumes, timeout=timeout)
            own.report(record.name, "Removed")

        each_in_reverse(self, records, remove)
        resources.remove_networks(self.engine, self.project.name, self._report_resource)
        if volumes:
            resources.remove_volumes(self.engine, self.project.name, self._report_resource)

    def remove_images(self, *, local_only: bool) -> None:
        """``down --rmi``: the services' images (``local``: only those compose
        named itself, for services without ``image:``); one in use elsewhere,
        or already gone, is left and said so."""
        from hullbox.compose.naming import service_image

        images = [service_image(self.project.name, name, service)
                  for name, service in self.project.services.items()
                  if not (local_only and service.get("image"))]
        for image in dict.fromkeys(images):
            try:
                self.engine.images.remove(image)
            except HullboxError as exc:
                self.report(image, f"Not removed: {exc}")
            else:
                self.report(image, "Removed")
