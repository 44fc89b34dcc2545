"""``up``: the services' containers made to match the files, dependencies
first and side by side (compose.schedule). A replica whose configuration
hash (or image) changed is recreated, the others are kept; a dependent
starts once its dependencies meet their ``depends_on`` conditions."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from hullbox.compose import naming
from hullbox.compose.bound import BoundProject
from hullbox.compose.external_links import check_external_links
from hullbox.compose.plan import ServicePlan
from hullbox.compose.records import number_of, service_of
from hullbox.compose.schedule import in_dependency_order
from hullbox.compose.waiting import wait_for
from hullbox.engine.lifecycle import is_active
from hullbox.store.containers import ContainerRecord


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
    timeout: float | None = None  # for stopping a container up recreates


def restarted_by(depends_on: dict[str, Any] | None) -> list[str]:
    """The dependencies whose restart or update restarts the dependent."""
    return [dep for dep, spec in (depends_on or {}).items()
            if (spec or {}).get("restart") in (True, "true")]


class Converging(BoundProject):
    """``up`` and what ``run`` needs of it."""

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
                    own.wait_for_dependencies(plan.name, up.wait_timeout)
                # depends_on.<dep>.restart: a kept container restarts after its dependency changed.
                restart = any(dep in recreated for dep in restarted_by(plan.depends_on))
                return own._converge(plan, up, restart=restart)

        in_dependency_order(order, {n: self.project.dependencies(n) for n in order}, up_one)
        return self.containers(order)

    def wait_for_dependencies(self, name: str, timeout: float | None,
                              among: list[str] | None = None) -> None:
        """Until ``name``'s dependencies (those ``among``, when given) meet
        their ``depends_on`` conditions."""
        depends_on = self.project.services[name].get("depends_on") or {}
        for dep, spec in depends_on.items():
            if dep not in self.project.services or (among is not None and dep not in among):
                continue
            condition = (spec or {}).get("condition", "service_started")
            wait_for(self.engine, self.containers([dep]), dep, condition, name, timeout)

    def start_one(self, record: ContainerRecord) -> None:
        """Start a container of the project, then run its service's post_start hooks."""
        from hullbox.compose.hooks import post_start

        self.engine.containers.start(record.id)
        self.report(record.name, "Started")
        service = service_of(record)
        post_start(self.engine, record, service, self.project.services.get(service) or {})

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
                self._remove(existing.pop(number), timeout=options.timeout)
        image_id = self.engine.images.resolve_id(plan.image) if existing else ""
        for number in range(1, plan.replicas + 1):
            record = existing.get(number)
            if record is not None:
                labels = record.config.get("labels") or {}
                # A new configuration, or a new image under the same name (a rebuild).
                changed = labels.get(naming.LABEL_CONFIG_HASH) != plan.config_hash \
                    or record.image_id != image_id
                if options.force_recreate or (changed and not options.no_recreate):
                    self._remove(record, timeout=options.timeout)
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
                self.start_one(record)
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
        return self.engine.containers.create(  # type: ignore[no-any-return]
            plan.image, command, options, restart="no" if oneoff else None)
