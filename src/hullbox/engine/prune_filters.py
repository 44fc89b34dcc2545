"""The filters of Docker's prune verbs (``network prune``, ``image prune``):
``until=`` (made before a time), ``label=`` and ``label!=``."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import TypeVar

from hullbox.engine.filters import label_matches, split_filters
from hullbox.errors import InvalidArgument

PRUNE_KEYS = ("until", "label", "label!")
T = TypeVar("T")


def prune_matcher(items: Iterable[str], created: Callable[[T], float],
                  labels: Callable[[T], dict[str, str]]) -> Callable[[T], bool]:
    """True for a thing every filter lets through: made before one of the
    ``until`` times, with every ``label`` and none of the ``label!``."""
    filters = split_filters(items, PRUNE_KEYS)  # label!=x splits as key "label!"
    cutoffs = [until_seconds(value) for value in filters.get("until", [])]

    def matches(thing: T) -> bool:
        if cutoffs and not any(created(thing) < cutoff for cutoff in cutoffs):
            return False
        found = labels(thing)
        if not all(label_matches(v, found) for v in filters.get("label", [])):
            return False
        return not any(label_matches(v, found) for v in filters.get("label!", []))

    return matches


def until_seconds(value: str) -> float:
    """``until=`` as Docker takes it: a duration before now, Unix seconds or
    a date; as Unix seconds."""
    from hullbox.engine.logs import parse_time

    try:
        stamp = parse_time(value, "filter 'until'")
    except ValueError as exc:
        raise InvalidArgument(str(exc)) from None
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    moment = datetime.datetime.fromisoformat(whole).replace(tzinfo=datetime.UTC)
    return moment.timestamp() + float(f"0.{fraction or 0}")


def rfc3339_seconds(text: str) -> float:
    """An image's ``created`` as Unix seconds (0 when it has none)."""
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        whole, _, rest = text.partition(".")  # nanoseconds Python will not read
        try:
            return datetime.datetime.fromisoformat(whole + "+00:00").timestamp()
        except ValueError:
            return 0.0
