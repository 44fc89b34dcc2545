"""``update``: change a container's resource limits and restart policy.

The new values are checked as ``run`` checks them, written into the live
cgroup of a running (or paused) container, and then stored with the
container, so that a later start or restart keeps them. A stopped
container only gets the stored values. A value the kernel refuses leaves
the stored options as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hullbox.engine.units import parse_bytes, parse_cpus
from hullbox.errors import InvalidArgument, RuntimeFailure

if TYPE_CHECKING:
    from hullbox.engine.containers import ContainerService
    from hullbox.engine.options import ContainerOptions
    from hullbox.store.containers import ContainerRecord

CPU_PERIOD = 100_000
_RESOURCE_FIELDS = ("blkio_weight", "cpu_period", "cpu_quota", "cpu_rt_period",
                    "cpu_rt_runtime", "cpu_shares", "cpuset_cpus", "cpuset_mems",
                    "memory_reservation", "memory_swap")


@dataclass
class UpdateRequest:
    """The flags of one ``update``, parsed; None/absent means "leave as it is"."""

    resources: dict[str, Any] = field(default_factory=dict)  # ResourceSettings fields
    memory: int | None = None
    nano_cpus: int | None = None
    pids_limit: int | None = None
    restart: str | None = None

    @classmethod
    def parse(cls, **typed: Any) -> UpdateRequest:
        from hullbox.engine.settings.resources import ResourceSettings

        given = {k: v for k, v in typed.items() if k in _RESOURCE_FIELDS
                 and v not in (None, "")}
        parsed = ResourceSettings.parse(**given)  # syntax and ranges, as for run
        request = cls({k: getattr(parsed, k) for k in given})
        if typed.get("memory") not in (None, ""):
            request.memory = parse_bytes(typed["memory"], "--memory")
            if request.memory < 6 * 1024 * 1024:
                raise InvalidArgument(f"invalid --memory {typed['memory']!r}: the minimum "
                                      "memory limit is 6MB")
        if typed.get("cpus") not in (None, ""):
            request.nano_cpus = parse_cpus(typed["cpus"])
        if typed.get("pids_limit") is not None:
            request.pids_limit = max(int(typed["pids_limit"]), 0)  # -1 and 0: unlimited
        if typed.get("restart"):
            from hullbox.engine.restart import RestartPolicy

            request.restart = str(RestartPolicy.parse(typed["restart"]))
        return request

    def restart_only(self) -> bool:
        return not self.resources and all(
            v is None for v in (self.memory, self.nano_cpus, self.pids_limit))

    def empty(self) -> bool:
        return not self.resources and self.restart is None and all(
            v is None for v in (self.memory, self.nano_cpus, self.pids_limit))


def _apply(options: ContainerOptions, request: UpdateRequest) -> None:
    """The stored options with the request's values, checked as dockerd checks an update."""
    settings = options.resources
    if request.nano_cpus is not None and (settings.cpu_quota or settings.cpu_period) \
            and "cpu_quota" not in request.resources:
        raise InvalidArgument("conflicting options: --cpus cannot be updated as CPU Quota/"
                              "Period has already been set; update --cpu-quota instead")
    if "cpu_quota" in request.resources and options.nano_cpus and request.nano_cpus is None:
        raise InvalidArgument("conflicting options: CPU Quota cannot be updated as NanoCPUs "
                              "(--cpus) has already been set; update --cpus instead")
    if request.memory is not None:
        if "memory_swap" in request.resources:
            swap = request.resources["memory_swap"]
            if swap > 0 and request.memory > swap:
                raise InvalidArgument("memory limit should be smaller than memoryswap limit "
                                      "(--memory-swap)")
        else:
            _keep_swap(options, request.memory)
        options.memory = request.memory
    if request.nano_cpus is not None:
        options.nano_cpus = request.nano_cpus
    if request.pids_limit is not None:
        options.pids_limit = request.pids_limit
    for name, value in request.resources.items():
        setattr(settings, name, value)
    settings.check_ranges()
    settings.check_with_memory(options.memory, options.nano_cpus, update=True)
    from hullbox.engine.resource_host import check_update

    check_update(settings)


def _keep_swap(options: ContainerOptions, memory: int) -> None:
    """A --memory without --memory-swap keeps the MemorySwap the container
    has (twice the old --memory when it was defaulted), and is refused above
    it, as dockerd refuses it: also when the container has no limit (0) or
    unlimited swap (-1)."""
    from hullbox.engine.resource_spec import memory_swap

    current = memory_swap(options.resources, options.memory)
    if memory > current:
        raise InvalidArgument("memory limit should be smaller than already set memoryswap "
                              "limit, update the memoryswap (--memory-swap) at the same time")
    options.resources.memory_swap = current


def live_resources(options: ContainerOptions, container_id: str) -> dict[str, Any]:
    """linux.resources of the options (as config.json has them), for a live cgroup."""
    from hullbox.engine.resource_spec import apply_resources

    resources: dict[str, Any] = {}
    if options.memory:
        resources["memory"] = {"limit": options.memory}
    if options.nano_cpus:
        resources["cpu"] = {"quota": options.nano_cpus * CPU_PERIOD // 1_000_000_000,
                            "period": CPU_PERIOD}
    resources["pids"] = {"limit": options.pids_limit or -1}
    spec: dict[str, Any] = {"linux": {"resources": resources}, "process": {}}
    apply_resources(spec, options.resources, options.memory, container_id)
    resources.pop("devices", None)  # the device rules are fixed at start
    return resources


def _live_cgroup_path(record: ContainerRecord, options: ContainerOptions) -> str:
    from hullbox.engine.launch import runtime_state_root
    from hullbox.engine.resource_spec import cgroups_path
    from hullbox.errors import HullboxError
    from hullbox.runtime.state import read_state

    try:
        recorded = read_state(str(runtime_state_root() / "runtime"), record.id)
        if recorded.cgroups_path:
            return recorded.cgroups_path
    except (HullboxError, OSError, TypeError, ValueError):
        pass
    return cgroups_path(options.resources, record.id)


def update_container(service: ContainerService, name_or_id: str,
                     request: UpdateRequest) -> ContainerRecord:
    """Apply ``request`` to one container; returns its record as stored after."""
    from hullbox.engine.options import ContainerOptions
    from hullbox.engine.settings.isolation import refuse_in_microvm
    from hullbox.runtime.cgroup_tuning import update_live
    from hullbox.runtime.cgroups import open_cgroup
    from hullbox.store import containers as container_db
    from hullbox.store.containers import RUNNING

    record = service.get(name_or_id)
    refuse_in_microvm(record.config, record.name, "update")
    options = ContainerOptions.from_json(record.config)
    if request.restart is not None and request.restart != "no" and options.auto_remove:
        raise InvalidArgument(f"update {record.name}: restart policy cannot be updated because "
                              "AutoRemove (--rm) is enabled for the container")
    _apply(options, request)
    if request.restart is not None:
        options.lifecycle.restart = "" if request.restart == "no" else request.restart
    if record.state == RUNNING and not request.restart_only():
        cgroup = open_cgroup(_live_cgroup_path(record, options))
        try:
            update_live(cgroup, live_resources(options, record.id))
        except OSError as exc:
            raise RuntimeFailure(f"update {record.name}: write the cgroup: "
                                 f"{exc.strerror or exc}") from None
    container_db.update(service.store, record.id, config=options.to_json(),
                        restart_policy=options.lifecycle.restart)
    return container_db.get(service.store, record.id) or record
