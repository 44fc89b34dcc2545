"""``up``, ``down``, ``start``, ``stop``, ``restart``, ``kill``, ``rm`` of a
compose project on the engine's public API. Containers carry Docker
Compose's labels; ``up`` recreates exactly the replicas whose config hash
changed and waits for dependency conditions before starting a service."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from hullbox.compose import naming, resources
from hullbox.compose.external_links import check_external_links
from hullbox.compose.images import ensure_images
from hullbox.compose.plan import ServicePlan, plan_service
from hullbox.compose.project import Project
from hullbox.compose.schedule import in_dependency_order
from hullbox.compose.teardown import each_in_reverse
from hullbox.compose.waiting import wait_for
from hullbox.engine.lifecycle import is_active, parse_signal
from hullbox.errors import HullboxError
from hullbox.store.containers import ContainerRecord

Report = Callable[[str, str], None]  # (container name, what happened)


def _quiet(_name: str, _event: str) -> None:
    pass


@dataclass
class UpOptions:
    """The flags of ``compose up``."""

    scale: dict[str, int] | None = None
    no_deps: bool = False
    force_recreate: bool = False
    no_recreate: bool = False
    no_start: bool = False
    remove_orphans: bool = False
    keep_running: bool = False  # dependencies of `run`: start what exists, scale nothing down
    build: bool = False
    wait_timeout: float | None = None  # for depends_on conditions; None: from the check


class ComposeProject:
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

    # -- what exists ---------------------------------------------------------
    def containers(self, services: list[str] | None = None, *, oneoff: bool = False,
                   running_only: bool = False) -> list[ContainerRecord]:
        """The project's containers (of ``services``), ordered by service and number."""
        label = f"{naming.LABEL_PROJECT}={self.project.name}"
        found = self.engine.containers.list(all=not running_only, filters={"label": [label]})
        out = []
        for record in found:
            labels = record.config.get("labels") or {}
            if (labels.get(naming.LABEL_ONEOFF) == "True") != oneoff:
                continue
            if services and labels.get(naming.LABEL_SERVICE) not in services:
                continue
            out.append(record)
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

    # -- up ------------------------------------------------------------------
    def up(self, services: list[str] | None = None,
           options: UpOptions | None = None) -> list[ContainerRecord]:
        """Create and start the services (dependencies first), recreating the
        replicas whose configuration changed; returns the service containers."""
        options = up = options or UpOptions()
        wanted = services or sorted(self.project.services)
        order = wanted if options.no_deps else self.project.with_dependencies(wanted)
        order = [n for n in self.project.ordered() if n in order]
        plans = self.plans(order)
        check_external_links(self.engine, {n: self.project.services[n] for n in order})
        self.prepare(order, build=options.build)
        if options.remove_orphans:
            self.remove_orphans()

        def up_one(name: str, recreated: frozenset[str]) -> bool:
            plan = plans[name]
            if up.scale and name in up.scale:
                plan = replace(plan, replicas=up.scale[name])
            with self.own_engine() as own:
                if not up.no_deps and not up.no_start:
                    own._wait_for_dependencies(plan, up.wait_timeout)
                # depends_on.<dep>.restart: a kept container restarts after its dependency changed.
                restart = any(dep in recreated for dep in restarted_by(plan.depends_on))
                return own._converge(plan, up, restart=restart)

        in_dependency_order(order, {n: self.project.dependencies(n) for n in order}, up_one)
        return self.containers(order)

    @contextmanager
    def own_engine(self) -> Iterator[ComposeProject]:
        """This project on an engine of the calling thread's own: a store's
        SQLite connection belongs to the thread that opened it."""
        if threading.current_thread() is threading.main_thread():
            yield self
            return
        engine = type(self.engine)(self.engine.store.root)
        try:
            yield ComposeProject(engine, self.project, self.report, self.progress)
        finally:
            engine.close()

    def _wait_for_dependencies(self, plan: ServicePlan, timeout: float | None) -> None:
        for dep, spec in plan.depends_on.items():
            if dep not in self.project.services:
                continue
            condition = (spec or {}).get("condition", "service_started")
            wait_for(self.engine, self.containers([dep]), dep, condition, plan.name, timeout)

    def _converge(self, plan: ServicePlan, options: UpOptions, *, restart: bool = False) -> bool:
        """Make the service's replicas match ``plan``; True when one was recreated.
        With ``restart`` a kept running replica is restarted."""
        recreated = False
        existing = {number_of(r): r for r in self.containers([plan.name])}
        if options.keep_running and existing:
            plan = replace(plan, replicas=max(plan.replicas, max(existing)))
            options = replace(options, no_recreate=True)
        for number in sorted(existing):
            if number > plan.replicas:
                self._remove(existing.pop(number))
        image_id = self.engine.images.resolve_id(plan.image) if existing else ""
        for number in range(1, plan.replicas + 1):
            record = existing.get(number)
            if record is not None:
                labels = record.config.get("labels") or {}
                # A new configuration, or a new image under the same name (a rebuild).
                changed = labels.get(naming.LABEL_CONFIG_HASH) != plan.config_hash \
                    or record.image_id != image_id
                if options.force_recreate or (changed and not options.no_recreate):
                    self._remove(record)
                    self.report(record.name, "Recreate")
                    record, recreated = None, True
                elif is_active(record) and restart and not options.no_start:
                    self.engine.containers.restart(record.id)
                    self.report(record.name, "Restarted")
                    continue
                elif options.no_start or is_active(record):
                    self.report(record.name, "Running")
                    continue
            if record is None:
                record = self._create(plan, number)
                self.report(record.name, "Created")
            if not options.no_start:
                self.engine.containers.start(record.id)
                self.report(record.name, "Started")
        return recreated

    def _create(self, plan: ServicePlan, number: int, *, oneoff: bool = False,
                command: list[str] | None = None, name: str | None = None,
                auto_remove: bool = False) -> ContainerRecord:
        service = self.project.services[plan.name]
        labels = {
            **plan.options.labels,
            naming.LABEL_PROJECT: self.project.name,
            naming.LABEL_SERVICE: plan.name,
            naming.LABEL_NUMBER: str(number),
            naming.LABEL_CONFIG_HASH: plan.config_hash,
            naming.LABEL_ONEOFF: "True" if oneoff else "False",
            naming.LABEL_WORKING_DIR: self.project.working_dir,
            naming.LABEL_CONFIG_FILES: ",".join(self.project.files),
            naming.LABEL_IMAGE: plan.image,
        }
        container = (name or service.get("container_name")) if number == 1 and not oneoff \
            else name
        options = replace(plan.options, labels=labels, auto_remove=auto_remove,
                          lifecycle=replace(plan.options.lifecycle),
                          name=container or naming.container_name(self.project.name,
                                                                  plan.name, number))
        command = command if command is not None else plan.command
        if service.get("external_links"):
            from hullbox.compose.external_links import external_link_hosts

            hosts = external_link_hosts(self.engine, plan.name, service["external_links"],
                                        options)
            options.networking = replace(options.networking,
                                         add_hosts=[*options.networking.add_hosts, *hosts])
        if service.get("init"):
            from hullbox.compose.service_init import wrap

            image = self.engine.images.get(plan.image).config.config
            command = wrap(image, options, command)
        return self.engine.containers.create(  # type: ignore[no-any-return]
            plan.image, command, options, restart="no" if oneoff else None)

    # -- stop, kill, remove ----------------------------------------------------
    def _remove(self, record: ContainerRecord, *, volumes: bool = False,
                timeout: float | None = None) -> None:
        """Stop (the service's stop_signal, then its grace period) and remove."""
        self.engine.containers.stop(record.id, timeout)
        self.engine.containers.remove(record.id, force=True, volumes=volumes)

    def stop(self, services: list[str] | None = None, timeout: float | None = None) -> None:
        """Stop running containers, dependents before their dependencies."""
        def stop(own: ComposeProject, record: ContainerRecord) -> None:
            own.engine.containers.stop(record.id, timeout)
            own.report(record.name, "Stopped")

        each_in_reverse(self, self.containers(services, running_only=True), stop)

    def start(self, services: list[str] | None = None) -> None:
        """Start existing containers, dependencies first."""
        records = self.containers(services)
        if not records:
            raise HullboxError("no containers to start; create them with: hullbox compose up")
        order = self.project.ordered()
        for record in sorted(records, key=lambda r: _rank(order, r)):
            self.engine.containers.start(record.id)
            self.report(record.name, "Started")

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

    def remove_orphans(self) -> None:
        """Containers of this project whose service is gone from the files."""
        for record in self.containers():
            if service_of(record) not in self.project.services and \
                    service_of(record) not in self.project.disabled:
                self._remove(record)
                self.report(record.name, "Removed")

    def down(self, *, remove_orphans: bool = False, timeout: float | None = None,
             volumes: bool = False) -> None:
        """Stop and remove the project's containers (one-off ones too), then
        its networks, and with ``volumes`` its named and anonymous volumes."""
        records = [r for r in self.containers() + self.containers(oneoff=True)
                   if service_of(r) in self.project.services or remove_orphans
                   or self._is_oneoff(r)]

        def remove(own: ComposeProject, record: ContainerRecord) -> None:
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
        from hullbox.errors import HullboxError

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

    def _is_oneoff(self, record: ContainerRecord) -> bool:
        return (record.config.get("labels") or {}).get(naming.LABEL_ONEOFF) == "True"


def restarted_by(depends_on: dict[str, Any] | None) -> list[str]:
    """The dependencies whose restart or update restarts the dependent."""
    return [dep for dep, spec in (depends_on or {}).items()
            if (spec or {}).get("restart") in (True, "true")]


def _rank(order: list[str], record: ContainerRecord) -> tuple[int, int]:
    name = service_of(record)
    return (order.index(name) if name in order else len(order), number_of(record))


def service_of(record: ContainerRecord) -> str:
    """The compose service of a container."""
    return str((record.config.get("labels") or {}).get(naming.LABEL_SERVICE, ""))


def number_of(record: ContainerRecord) -> int:
    """The replica number of a container."""
    text = (record.config.get("labels") or {}).get(naming.LABEL_NUMBER, "0")
    return int(text) if str(text).isdigit() else 0
