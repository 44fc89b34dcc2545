"""Docker's prune filters (``system prune``, ``container prune``): ``until=``
(a time or a duration ago: only what was made before it), ``label=KEY[=VALUE]``
(every one must match) and ``label!=KEY[=VALUE]`` (none may)."""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from hullbox.errors import InvalidArgument

KEYS = ("until", "label", "label!")


@dataclass
class PruneFilter:
    """What a prune may remove, beyond being unused."""

    until: float | None = None  # seconds since the epoch
    labels: list[str] = field(default_factory=list)
    not_labels: list[str] = field(default_factory=list)
    raw_until: str = ""  # as typed, for the confirmation

    def __bool__(self) -> bool:
        return self.until is not None or bool(self.labels or self.not_labels)

    def admits(self, labels: dict[str, str], created: float) -> bool:
        from hullbox.engine.filters import label_matches

        return ((self.until is None or created < self.until)
                and all(label_matches(w, labels) for w in self.labels)
                and not any(label_matches(w, labels) for w in self.not_labels))

    def describe(self) -> list[str]:
        """The filters as Docker's confirmation lists them, sorted."""
        return sorted([f"label={v}" for v in self.labels]
                      + [f"label!={v}" for v in self.not_labels]
                      + ([f"until={self.raw_until}"] if self.until is not None else []))


def parse_prune_filters(items: Iterable[str], keys: tuple[str, ...] = KEYS) -> PruneFilter:
    """``--filter`` values of a prune; one line naming a bad one (exit 125)."""
    from hullbox.engine.event_query import parse_time_ns
    from hullbox.engine.filters import split_filters

    # "label!=k" splits at its "=" as key "label!", as Docker's parser does
    parsed = split_filters(items, keys)
    found = PruneFilter(labels=parsed.get("label", []), not_labels=parsed.get("label!", []))
    untils = parsed.get("until", [])
    if len(untils) > 1:
        raise InvalidArgument("more than one until filter given: use one")
    if untils:
        found.until = parse_time_ns(untils[0], "until filter", time.time()) / 1e9
        found.raw_until = untils[0]
    return found


def rfc3339_seconds(text: str, default: float) -> float:
    """An image config's ``created`` (RFC 3339, maybe with nanoseconds) in
    seconds; ``default`` when it has none."""
    if not text:
        return default
    head, _, rest = text.partition(".")
    zone = rest.lstrip("0123456789") if rest else ""
    try:
        moment = datetime.datetime.fromisoformat((head + (zone or "")).replace("Z", "+00:00"))
    except ValueError:
        return default
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()
