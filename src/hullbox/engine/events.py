"""Recording events for ``hullbox events``: each engine operation that Docker
reports makes one call here. Kept to the journal's import alone, so the hooks
cost ``run`` one short append each (see store/journal.py).

Actors and attributes follow Docker's: a container event carries the
container's labels, ``image`` and ``name``; an image event ``name``; a network
event ``name`` and ``type``; a volume event ``driver``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hullbox.store.journal import append

if TYPE_CHECKING:
    from hullbox.store.containers import ContainerRecord
    from hullbox.store.store import Store


def container(store: Store, record: ContainerRecord, action: str, **extra: str) -> None:
    """``create``, ``start``, ``die`` (exitCode=), ``kill`` (signal=) ..."""
    attributes = {**(record.config.get("labels") or {}), "image": record.image_name,
                  "name": record.name, **extra}
    append(store.root, "container", action, record.id, attributes)


def container_exited(store: Store, record: ContainerRecord, code: int, oom: bool) -> None:
    """``oom`` (when the kernel killed it for memory), then ``die`` with its code."""
    if oom:
        container(store, record, "oom")
    container(store, record, "die", exitCode=str(code))


def image(store: Store, actor_id: str, action: str, name: str = "") -> None:
    """``pull``, ``push``, ``tag``, ``untag``, ``delete``, ``load``, ``save``,
    ``import``; ``name`` the reference it was done under (else the ID)."""
    append(store.root, "image", action, actor_id, {"name": name or actor_id})


def network(store: Store, network_id: str, name: str, action: str, **extra: str) -> None:
    """``create``, ``destroy``; ``connect``/``disconnect`` with container=."""
    append(store.root, "network", action, network_id, {"name": name, "type": "bridge",
                                                      **extra})


def volume(store: Store, name: str, action: str, **extra: str) -> None:
    """``create``, ``destroy``; ``mount`` with container= and destination=."""
    append(store.root, "volume", action, name, {"driver": "local", **extra})


def volume_mounts(store: Store, record: ContainerRecord) -> None:
    """At a container's start: a ``mount`` event for each volume it mounts."""
    storage = record.config.get("storage") or {}
    for point in storage.get("mount_points") or []:
        if point.get("type") == "volume" and point.get("source"):
            volume(store, point["source"], "mount", container=record.id,
                   destination=point.get("destination", ""),
                   propagation=point.get("propagation", ""),
                   **{"read/write": "false" if point.get("read_only") else "true"})


def network_left(store: Store, network_id: str, container_id: str) -> None:
    """A container's endpoint on the network ``network_id`` is gone."""
    from hullbox.errors import HullboxError
    from hullbox.network import ipam

    try:
        name = ipam.get_network(store, network_id).name
    except HullboxError:
        name = network_id
    network(store, network_id, name, "disconnect", container=container_id)
