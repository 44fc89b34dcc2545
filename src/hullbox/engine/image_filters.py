"""``images --filter``: Docker's image filters (dangling, reference, label,
before, since). Values of one key are ORed, different keys ANDed."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable

from hullbox.engine.filters import require_boolean, split_filters
from hullbox.store.images import ImageRecord

KEYS = ("dangling", "reference", "label", "before", "since")


def parse_image_filters(items: Iterable[str]) -> dict[str, list[str]]:
    filters = split_filters(items, KEYS)
    require_boolean(filters, "dangling")
    return filters


def reference_matches(pattern: str, familiar_tags: list[str]) -> bool:
    """Docker matches the pattern against name:tag and against the name alone."""
    for tag in familiar_tags:
        name = tag.rsplit(":", 1)[0] if ":" in tag.rsplit("/", 1)[-1] else tag
        if fnmatch.fnmatchcase(tag, pattern) or fnmatch.fnmatchcase(name, pattern):
            return True
    return False


def image_matcher(
    filters: dict[str, list[str]],
    *,
    familiar: Callable[[ImageRecord], list[str]],
    labels: Callable[[ImageRecord], dict[str, str]],
    added_of: Callable[[str], float],
) -> Callable[[ImageRecord], bool]:
    """A predicate for ``filters``; ``familiar`` gives an image's tags as Docker
    shows them, ``labels`` its config labels, ``added_of`` the time an image
    (named by a user's word) entered the store, for before/since."""
    bounds = {key: [added_of(v) for v in filters.get(key, [])] for key in ("before", "since")}

    def test(key: str, value: str, record: ImageRecord) -> bool:
        if key == "dangling":
            return (not record.tags) == (value.lower() in ("true", "1"))
        if key == "reference":
            return reference_matches(value, familiar(record))
        if key == "label":
            wanted, sep, expected = value.partition("=")
            found = labels(record)
            return wanted in found and (not sep or found[wanted] == expected)
        return True

    def matches(record: ImageRecord) -> bool:
        if any(record.added >= t for t in bounds["before"]):
            return False
        if any(record.added <= t for t in bounds["since"]):
            return False
        return all(any(test(key, v, record) for v in values)
                   for key, values in filters.items() if key not in ("before", "since"))

    return matches
