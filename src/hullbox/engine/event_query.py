"""``hullbox events``: the recorded events (engine/events.py writes them)
chosen by Docker's ``--filter``, ``--since`` and ``--until``, as Docker's
events API gives them (``type``, ``Action``, ``Actor``, ``time``, ``timeNano``).

Filters follow Docker's daemon/events/filter.go: values of one key are
ORed, different keys ANDed; ``container``/``network``/``volume`` match the
actor's ID or name by prefix, ``image`` the image (with or without its tag),
``event`` the action (``exec_start`` also matches ``exec_start: sh``)."""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hullbox.errors import InvalidArgument
from hullbox.store import journal

TYPES = ("container", "image", "network", "volume")
KEYS = ("type", "event", "container", "image", "label", "network", "volume")
#: Docker's filter keys for objects hullbox has none of: nothing matches them
NEVER = ("daemon", "plugin", "node", "service", "secret", "config", "scope")
_PREFIX_ACTIONS = ("health_status", "exec_create", "exec_start", "exec_die")


def parse_time_ns(value: str, flag: str, now: float | None = None) -> int:
    """``--since``/``--until``: RFC 3339, Unix seconds or a duration ago
    (the forms ``logs`` takes); nanoseconds since the epoch."""
    from hullbox.engine.logs import parse_time

    try:
        stamp = parse_time(value, flag, now)
    except ValueError as exc:
        raise InvalidArgument(str(exc)) from None
    seconds = calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S"))
    return seconds * 1_000_000_000 + int(stamp[20:29])


def parse_event_filters(items: tuple[str, ...] | list[str]) -> dict[str, list[str]]:
    """``--filter KEY=VALUE`` values, checked: one line naming the bad one."""
    from hullbox.engine.filters import split_filters

    filters = split_filters(items, KEYS + NEVER)
    for value in filters.get("type", []):
        if value not in (*TYPES, "daemon", "plugin", "node", "service", "secret", "config"):
            raise InvalidArgument(f"invalid filter 'type={value}': use one of "
                                  f"{', '.join(TYPES)}")
    for value in filters.get("scope", []):
        if value not in ("local", "swarm"):
            raise InvalidArgument(f"invalid filter 'scope={value}': use local or swarm")
    return filters


def _fuzzy(wanted: list[str] | None, *values: str) -> bool:
    return wanted is None or any(v and v.startswith(w) for w in wanted for v in values)


def _exact(wanted: list[str] | None, *values: str) -> bool:
    return wanted is None or any(v in wanted for v in values if v)


def _strip_tag(name: str) -> str:
    head, _, last = name.rpartition("/")
    return (head + "/" if head else "") + last.split(":")[0].split("@")[0]


def matches(event: dict[str, Any], filters: dict[str, list[str]]) -> bool:
    """Whether one recorded event passes every filter (Docker's rules)."""
    from hullbox.engine.filters import label_matches

    kind, action, actor = event["Type"], event["Action"], event["ID"]
    attributes: dict[str, str] = event.get("Attributes") or {}
    if "scope" in filters and "local" not in filters["scope"]:
        return False
    if any(key in filters for key in NEVER if key != "scope"):
        return False
    wanted = filters.get("event")
    if wanted is not None and action not in wanted and not any(
            w in _PREFIX_ACTIONS and action.startswith(w + ":") for w in wanted):
        return False
    name = attributes.get("name", "")
    image = attributes.get("name" if kind == "image" else "image", "")
    return (
        _exact(filters.get("type"), kind)
        and (filters.get("container") is None
             or (kind == "container" and _fuzzy(filters["container"], actor, name)))
        and (filters.get("network") is None
             or (kind == "network" and _fuzzy(filters["network"], actor, name)))
        and (filters.get("volume") is None
             or (kind == "volume" and _fuzzy(filters["volume"], actor, name)))
        and _exact(filters.get("image"), actor, image, _strip_tag(actor), _strip_tag(image))
        and all(label_matches(w, attributes) for w in filters.get("label", []))
    )


def message(event: dict[str, Any]) -> dict[str, Any]:
    """Docker's events.Message for a recorded event (its JSON field names)."""
    kind, action, actor = event["Type"], event["Action"], event["ID"]
    attributes = event.get("Attributes") or {}
    out: dict[str, Any] = {}
    if kind in ("container", "image"):  # Docker's deprecated fields, still sent
        out["status"] = action
        out["id"] = actor
        if kind == "container":
            out["from"] = attributes.get("image", "")
    out.update({"Type": kind, "Action": action,
                "Actor": {"ID": actor, "Attributes": attributes}, "scope": "local",
                "time": event["timeNano"] // 1_000_000_000, "timeNano": event["timeNano"]})
    return out


@dataclass
class EventQuery:
    """What ``events`` asked for."""

    filters: dict[str, list[str]] = field(default_factory=dict)
    since: int | None = None  # nanoseconds
    until: int | None = None

    def select(self, root: Path,
               keep_going: Callable[[], bool] = lambda: True) -> Iterator[dict[str, Any]]:
        """The past events between since and until, then (unless until has
        passed) the new ones as they come, until ``until`` or ``keep_going``
        says stop; each as Docker's Message."""
        past, inode, offset = journal.read(root)
        if self.since is not None or self.until is not None:
            since = self.since or 0
            for event in past:
                if since <= event["timeNano"] and (
                        self.until is None or event["timeNano"] <= self.until) \
                        and matches(event, self.filters):
                    yield message(event)
        if self.until is not None and self.until <= time.time_ns():
            return

        def going() -> bool:
            return keep_going() and (self.until is None or time.time_ns() <= self.until)

        for event in journal.follow(root, inode, offset, going):
            if self.until is not None and event["timeNano"] > self.until:
                return
            if (self.since is None or event["timeNano"] >= self.since) \
                    and matches(event, self.filters):
                yield message(event)
