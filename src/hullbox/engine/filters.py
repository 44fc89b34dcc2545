"""``ps --filter``: Docker's container filters. Values of one key are ORed,
different keys ANDed, as in ``docker ps``."""

from __future__ import annotations

import re
from collections.abc import Iterable

from hullbox.errors import InvalidArgument
from hullbox.store.containers import ContainerRecord

STATUSES = ("created", "restarting", "running", "removing", "paused", "exited", "dead")
KEYS = ("status", "name", "id", "label", "ancestor", "exited", "health")
HEALTH = ("starting", "healthy", "unhealthy", "none")


def split_filters(items: Iterable[str], keys: tuple[str, ...]) -> dict[str, list[str]]:
    """``["status=exited", "name=web"]`` -> ``{"status": ["exited"], "name": ["web"]}``,
    each key one of ``keys`` (the filters of ps, images, volume ls...)."""
    filters: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or not key:
            raise InvalidArgument(f"bad format of filter {item!r}: use key=value")
        if key not in keys:
            raise InvalidArgument(f"invalid filter {key!r}: use one of {', '.join(keys)}")
        filters.setdefault(key, []).append(value)
    return filters


def require_boolean(filters: dict[str, list[str]], key: str) -> None:
    """Docker's boolean filters (dangling=true...) take true/false/1/0."""
    for value in filters.get(key, []):
        if value.lower() not in ("true", "false", "1", "0"):
            raise InvalidArgument(f"invalid filter '{key}={value}': use true or false")


def label_matches(wanted: str, labels: dict[str, str]) -> bool:
    """``label=key`` (present) or ``label=key=value`` (equal)."""
    key, sep, value = wanted.partition("=")
    return key in labels and (not sep or labels[key] == value)


def parse_filters(items: Iterable[str]) -> dict[str, list[str]]:
    """``ps --filter`` values, checked."""
    filters = split_filters(items, KEYS)
    for value in filters.get("status", []):
        if value not in STATUSES:
            raise InvalidArgument(
                f"invalid filter 'status={value}': use one of {', '.join(STATUSES)}"
            )
    for value in filters.get("health", []):
        if value not in HEALTH:
            raise InvalidArgument(f"invalid filter 'health={value}': use one of "
                                  f"{', '.join(HEALTH)}")
    for value in filters.get("exited", []):
        if not value.lstrip("-").isdigit():
            raise InvalidArgument(f"invalid filter 'exited={value}': use an exit code")
    return filters


def _name_matches(pattern: str, name: str) -> bool:
    # Docker treats the value as a regular expression searched in the name.
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return pattern in name


def _test(key: str, value: str, record: ContainerRecord) -> bool:
    if key in ("status", "health"):
        from hullbox.engine.runstatus import health_status, status

        if key == "health":
            return (health_status(record) or "none") == value
        return status(record) == value
    if key == "name":
        return _name_matches(value, record.name)
    if key == "id":
        return record.id.startswith(value)
    if key == "label":
        return label_matches(value, record.config.get("labels") or {})
    if key == "ancestor":
        return value in (record.image_name, record.image_id) or (
            record.image_id.removeprefix("sha256:").startswith(value.removeprefix("sha256:")))
    if key == "exited":
        return record.state == "exited" and record.exit_code == int(value)
    return False


def matches(record: ContainerRecord, filters: dict[str, list[str]]) -> bool:
    """True when the record passes every key (any value of a key)."""
    return all(any(_test(key, v, record) for v in values) for key, values in filters.items())
