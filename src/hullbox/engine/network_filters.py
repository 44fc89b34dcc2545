"""``network ls --filter`` and ``network prune --filter``, as Docker reads
them: values of one key ORed, different keys ANDed."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from hullbox.engine.filters import label_matches, require_boolean, split_filters
from hullbox.errors import InvalidArgument
from hullbox.network.ipam import Network

LS_KEYS = ("driver", "id", "label", "name", "scope", "type", "dangling")
PRUNE_KEYS = ("until", "label", "label!")
BUILTIN = ("bridge", "host", "none")


def parse_ls_filters(items: Iterable[str]) -> dict[str, list[str]]:
    filters = split_filters(items, LS_KEYS)
    require_boolean(filters, "dangling")
    for value in filters.get("type", []):
        if value not in ("custom", "builtin"):
            raise InvalidArgument(f"invalid filter 'type={value}': use custom or builtin")
    return filters


def ls_matcher(filters: dict[str, list[str]],
               in_use: Callable[[Network], bool]) -> Callable[[Network], bool]:
    """True for a network every key of ``filters`` lets through."""
    def test(key: str, value: str, network: Network) -> bool:
        if key == "driver":
            return network.driver == value
        if key == "id":
            return network.id.startswith(value)
        if key == "name":
            return value in network.name  # Docker: a substring of the name
        if key == "label":
            return label_matches(value, network.labels)
        if key == "scope":
            return value == "local"
        if key == "type":
            return (network.name in BUILTIN) == (value == "builtin")
        dangling = value.lower() in ("true", "1")
        # Docker never counts a predefined network as dangling.
        unused = network.name not in BUILTIN and not in_use(network)
        return unused == dangling

    def matches(network: Network) -> bool:
        # label= values are ANDed (Docker's MatchKVList), the others ORed
        return all((all if key == "label" else any)(test(key, value, network)
                                                    for value in values)
                   for key, values in filters.items())

    return matches


def parse_prune_filters(items: Iterable[str]) -> Callable[[Network], bool]:
    """``until=`` (created before), ``label=``, ``label!=``."""
    from hullbox.engine.prune_filters import prune_matcher

    return prune_matcher(items, lambda n: n.created, lambda n: n.labels)
