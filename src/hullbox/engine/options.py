"""The options a container is created with: what ``docker run`` flags mean,
already parsed, and stored with the container so ``start`` can repeat them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from hullbox.engine.settings.behaviour import BehaviourSettings
from hullbox.engine.settings.health import HealthSettings
from hullbox.engine.settings.isolation import IsolationSettings, unsupported_in_microvm
from hullbox.engine.settings.lifecycle import LifecycleSettings
from hullbox.engine.settings.namespaces import NamespaceSettings
from hullbox.engine.settings.network import NetworkSettings, validate_mode
from hullbox.engine.settings.podman import PodmanSettings
from hullbox.engine.settings.resources import ResourceSettings
from hullbox.engine.settings.security import SecuritySettings
from hullbox.engine.settings.storage import StorageSettings
from hullbox.engine.units import parse_bytes, parse_cpus
from hullbox.errors import InvalidArgument


@dataclass
class ContainerOptions:
    """Everything about a container except its image and command."""

    name: str | None = None
    env: list[str] = field(default_factory=list)
    workdir: str | None = None
    user: str | None = None
    hostname: str | None = None
    entrypoint: list[str] | None = None
    tty: bool = False
    interactive: bool = False
    read_only: bool = False
    network: str = "default"
    memory: int = 0  # bytes, 0 = unlimited
    nano_cpus: int = 0
    pids_limit: int = 0
    labels: dict[str, str] = field(default_factory=dict)
    runtime: str = "hullbox"
    auto_remove: bool = False
    # One group per concern; each module owns its fields and validation.
    networking: NetworkSettings = field(default_factory=NetworkSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    security: SecuritySettings = field(default_factory=SecuritySettings)
    health: HealthSettings = field(default_factory=HealthSettings)
    lifecycle: LifecycleSettings = field(default_factory=LifecycleSettings)
    isolation: IsolationSettings = field(default_factory=IsolationSettings)
    namespaces: NamespaceSettings = field(default_factory=NamespaceSettings)
    resources: ResourceSettings = field(default_factory=ResourceSettings)
    behaviour: BehaviourSettings = field(default_factory=BehaviourSettings)
    podman: PodmanSettings = field(default_factory=PodmanSettings)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContainerOptions:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        groups = {
            "networking": NetworkSettings,
            "storage": StorageSettings,
            "security": SecuritySettings,
            "health": HealthSettings,
            "lifecycle": LifecycleSettings,
            "isolation": IsolationSettings,
            "namespaces": NamespaceSettings,
            "resources": ResourceSettings,
            "behaviour": BehaviourSettings,
            "podman": PodmanSettings,
        }
        for name, group in groups.items():
            known[name] = group.from_json(known.get(name))  # type: ignore[attr-defined]
        return cls(**known)

    @classmethod
    def parse(
        cls,
        *,
        memory: str | int | None = None,
        cpus: str | float | None = None,
        pids_limit: int | None = None,
        isolation_kind: str | None = None,
        **kwargs: Any,
    ) -> ContainerOptions:
        """Build options from user-typed values (``memory="64m"``, ``cpus="0.5"``)."""
        options = cls(**kwargs)
        if memory not in (None, "", 0):
            assert memory is not None
            options.memory = parse_bytes(memory, "--memory")
            if options.memory < 6 * 1024 * 1024:
                raise InvalidArgument(
                    f"invalid --memory {memory!r}: the minimum memory limit is 6MB"
                )
        if cpus not in (None, "", 0):
            assert cpus is not None
            options.nano_cpus = parse_cpus(cpus)
        if pids_limit:
            options.pids_limit = int(pids_limit)
        options.isolation = IsolationSettings.parse(
            isolation=isolation_kind, memory_bytes=options.memory, nano_cpus=options.nano_cpus,
            runtime=options.runtime, unsupported=unsupported_in_microvm(options))
        options.resources.validate(options.memory, options.nano_cpus)
        validate_mode(options.network)
        options.networking.validate(options.network)
        options.namespaces.check_network(options.network)
        for item in options.env:
            if not item or item.startswith("="):
                raise InvalidArgument(f"invalid environment variable {item!r}: use NAME=value")
        return options
