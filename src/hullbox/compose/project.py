"""A loaded compose project: its name, directory, environment and the
normalised model, plus what compose does after merging: profiles, service
environments (``env_file``, variables without a value), consistency checks and
the defaults ``docker compose config`` shows (the ``default`` network, names
of networks and volumes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hullbox.compose.dotenv import read_env_file
from hullbox.errors import ComposeFileError


@dataclass
class Project:
    """What ``hullbox compose`` works on."""

    name: str
    working_dir: str
    files: list[str]
    environment: dict[str, str]
    model: dict[str, Any]
    profiles: list[str] = field(default_factory=list)
    disabled: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def services(self) -> dict[str, dict[str, Any]]:
        """The enabled services by name."""
        return self.model.get("services") or {}

    def service(self, name: str) -> dict[str, Any]:
        """One enabled service; a clear error for a disabled or unknown one."""
        if name in self.services:
            return self.services[name]
        if name in self.disabled:
            raise ComposeFileError(f"service {name!r} is disabled by its profiles "
                                   f"{self.disabled[name].get('profiles')}; enable one "
                                   "with --profile")
        raise ComposeFileError(f"no such service: {name}")

    def dependencies(self, name: str) -> list[str]:
        """The services ``name`` depends on (``depends_on``, ``links``,
        ``network_mode: service:x``, ``volumes_from``)."""
        service = self.services.get(name) or self.disabled.get(name) or {}
        found = list((service.get("depends_on") or {}).keys())
        for link in service.get("links") or []:
            found.append(link.split(":")[0])
        for key in ("network_mode", "ipc", "pid"):
            value = service.get(key) or ""
            if value.startswith("service:"):
                found.append(value[len("service:"):])
        for source in service.get("volumes_from") or []:
            if not source.startswith("container:"):
                found.append(source.split(":")[0])
        return list(dict.fromkeys(found))

    def with_dependencies(self, names: list[str]) -> list[str]:
        """``names`` and everything they depend on, dependencies first."""
        order: list[str] = []

        def visit(name: str) -> None:
            if name in order:
                return
            for dep in self.dependencies(name):
                if dep in self.services:
                    visit(dep)
            order.append(name)

        for name in names:
            self.service(name)
            visit(name)
        return order

    def ordered(self) -> list[str]:
        """Every enabled service, dependencies first."""
        return self.with_dependencies(sorted(self.services))


def select_profiles(model: dict[str, Any], profiles: list[str],
                    wanted: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(enabled, disabled) services: a service without ``profiles`` is always
    enabled, one with them when a profile is active or it is named."""
    enabled, disabled = {}, {}
    services = model.get("services") or {}
    for name, service in services.items():
        own = service.get("profiles") or []
        if not own or "*" in profiles or set(own) & set(profiles) or name in wanted:
            enabled[name] = service
        else:
            disabled[name] = service
    # A service named on the command line brings its dependencies along.
    pending = [name for name in wanted if name in enabled]
    while pending:
        for dep in (enabled[pending.pop()].get("depends_on") or {}):
            if dep in disabled:
                enabled[dep] = disabled.pop(dep)
                pending.append(dep)
    return enabled, disabled


def resolve_service_environment(service: dict[str, Any], name: str,
                                environment: dict[str, str]) -> dict[str, Any]:
    """``env_file`` contents under ``environment``; a variable without value
    takes the project environment's; ``label_file`` under ``labels``."""
    out = dict(service)
    values: dict[str, Any] = {}
    for entry in service.get("env_file") or []:
        path = entry["path"]
        required = entry.get("required", True) not in (False, "false")
        try:
            values.update(read_env_file(path, environment.get))
        except ComposeFileError:
            import os

            if required or os.path.exists(path):
                if not os.path.exists(path):
                    raise ComposeFileError(
                        f"service {name!r}: env file {path} not found") from None
                raise
    values.update(service.get("environment") or {})
    if "environment" in service or values:
        out["environment"] = {key: environment.get(key) if value is None else value
                              for key, value in sorted(values.items())}
    labels: dict[str, Any] = {}
    for path in service.get("label_file") or []:
        labels.update(read_env_file(path, environment.get))
    if labels or "labels" in service:
        labels.update(service.get("labels") or {})
        out["labels"] = dict(sorted(labels.items()))
    return out


def check_consistency(model: dict[str, Any], services: dict[str, Any]) -> None:
    """What compose refuses after loading: no image and no build, references to
    undefined services, networks, volumes, secrets or configs, dependency cycles."""
    for name, service in services.items():
        if not service.get("image") and not service.get("build") \
                and not service.get("provider"):
            raise ComposeFileError(f"service {name!r} has neither an image nor a build "
                                   "context specified")
        for dep, spec in (service.get("depends_on") or {}).items():
            if dep not in services and spec.get("required", True) is not False:
                raise ComposeFileError(f"service {name!r} depends on undefined service "
                                       f"{dep!r}")
        for network in service.get("networks") or {}:
            if network != "default" and network not in (model.get("networks") or {}):
                raise ComposeFileError(f"service {name!r} refers to undefined network "
                                       f"{network!r}")
        for volume in service.get("volumes") or []:
            source = volume.get("source")
            if volume.get("type") == "volume" and source and \
                    source not in (model.get("volumes") or {}):
                raise ComposeFileError(f"service {name!r} refers to undefined volume "
                                       f"{source!r}")
        for kind in ("secrets", "configs"):
            for ref in service.get(kind) or []:
                if ref["source"] not in (model.get(kind) or {}):
                    raise ComposeFileError(f"service {name!r} refers to undefined "
                                           f"{kind[:-1]} {ref['source']!r}")
        scale = service.get("scale") or (service.get("deploy") or {}).get("replicas") or 1
        if service.get("container_name") and isinstance(scale, int) and scale > 1:
            raise ComposeFileError(f"service {name!r}: container_name {service['container_name']!r}"
                                   f" cannot be used with {scale} replicas; names are unique")
    _check_cycles(services)


def _check_cycles(services: dict[str, Any]) -> None:
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = [*path[path.index(name):], name]
            raise ComposeFileError("dependency cycle detected: " + " -> ".join(cycle))
        state[name] = 1
        for dep in (services[name].get("depends_on") or {}):
            if dep in services:
                visit(dep, [*path, name])
        state[name] = 2

    for name in sorted(services):
        visit(name, [])


def apply_defaults(model: dict[str, Any], project: str) -> dict[str, Any]:
    """What compose adds when it normalises: the ``default`` network for
    services without networks, names of networks, volumes, secrets and
    configs, and ``Dockerfile`` as the default dockerfile."""
    out = dict(model)
    services = {}
    uses_default = False
    for name, service in (model.get("services") or {}).items():
        service = dict(service)
        if not service.get("network_mode") and not service.get("networks"):
            service["networks"] = {"default": None}
        if "default" in (service.get("networks") or {}):
            uses_default = True
        build = service.get("build")
        if isinstance(build, dict) and not build.get("dockerfile") \
                and not build.get("dockerfile_inline"):
            service["build"] = {**build, "dockerfile": "Dockerfile"}
        services[name] = service
    if services:
        out["services"] = services
    networks = dict(model.get("networks") or {})
    if uses_default and "default" not in networks:
        networks["default"] = {}
    for section, table in (("networks", networks), ("volumes", model.get("volumes")),
                           ("secrets", model.get("secrets")),
                           ("configs", model.get("configs"))):
        if not table:
            continue
        named = {}
        for key, value in table.items():
            value = dict(value or {})
            if not value.get("name"):
                value["name"] = key if value.get("external") else f"{project}_{key}"
            named[key] = value
        out[section] = named
    return out
