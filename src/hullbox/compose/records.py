"""What a compose container's labels say about it: its service and its
replica number (Docker Compose's labels, so containers made by either tool
read the same)."""

from __future__ import annotations

from hullbox.compose import naming
from hullbox.store.containers import ContainerRecord


def service_of(record: ContainerRecord) -> str:
    """The compose service of a container."""
    return str((record.config.get("labels") or {}).get(naming.LABEL_SERVICE, ""))


def number_of(record: ContainerRecord) -> int:
    """The replica number of a container."""
    text = (record.config.get("labels") or {}).get(naming.LABEL_NUMBER, "0")
    return int(text) if str(text).isdigit() else 0


def is_oneoff(record: ContainerRecord) -> bool:
    """Made by ``compose run``."""
    return (record.config.get("labels") or {}).get(naming.LABEL_ONEOFF) == "True"


def by_service(records: list[ContainerRecord]) -> dict[str, list[ContainerRecord]]:
    """The records of each service, in replica order."""
    found: dict[str, list[ContainerRecord]] = {}
    for record in sorted(records, key=number_of):
        found.setdefault(service_of(record), []).append(record)
    return found
