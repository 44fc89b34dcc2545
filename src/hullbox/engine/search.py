"""``hullbox search``: repositories of a registry whose name holds a term.

Distribution registries have no search endpoint, so ``REGISTRY/TERM`` is
looked for in the registry's catalog, as podman searches a registry that is
not Docker Hub. A bare TERM would go to Docker Hub's search API, which
hullbox does not reach: that is refused in one line.
"""

from __future__ import annotations

from dataclasses import dataclass

from hullbox.engine.filters import require_boolean, split_filters
from hullbox.errors import InvalidArgument, Unsupported

FILTER_KEYS = ("stars", "is-official", "is-automated")
DEFAULT_LIMIT = 25
MAX_LIMIT = 100


@dataclass(frozen=True)
class SearchResult:
    """One repository found, in docker's search fields."""

    index: str  # the registry
    name: str  # registry/repository, as podman names it
    description: str = ""
    stars: int = 0
    official: bool = False
    automated: bool = False


def split_term(term: str) -> tuple[str, str]:
    """``127.0.0.1:5000/app`` -> (``127.0.0.1:5000``, ``app``); a bare term's
    registry is docker.io."""
    first, sep, rest = term.partition("/")
    if first == "localhost" or "." in first or ":" in first:
        return first, rest if sep else ""
    return "docker.io", term


def search(term: str, *, limit: int | None = None, filters: tuple[str, ...] = (),
           insecure: bool = False) -> list[SearchResult]:
    """Repositories matching ``term`` (see the module docstring), at most
    ``limit`` (docker's default 25), that pass docker's search filters."""
    wanted = split_filters(filters, FILTER_KEYS)
    for key in ("is-official", "is-automated"):
        require_boolean(wanted, key)
    stars = 0
    for value in wanted.get("stars", []):
        if not value.isdigit():
            raise InvalidArgument(f"invalid filter 'stars={value}': use a whole number")
        stars = max(stars, int(value))
    count = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= count <= MAX_LIMIT:
        raise InvalidArgument(f"--limit {count} is outside the range of [1, {MAX_LIMIT}]")
    registry, text = split_term(term)
    if registry == "docker.io":
        raise Unsupported(
            f"search {term}: Docker Hub's search (index.docker.io) is not reachable from "
            "hullbox; search a registry's catalog instead: hullbox search REGISTRY/TERM")
    from hullbox.registry.catalog import catalog
    from hullbox.registry.client import RegistryClient

    with RegistryClient(registry, insecure=insecure) as client:
        names = catalog(client)
    found = [SearchResult(registry, f"{registry}/{name}") for name in names
             if text.lower() in name.lower()]
    found = [r for r in found if r.stars >= stars
             and _flag(wanted, "is-official", r.official)
             and _flag(wanted, "is-automated", r.automated)]
    return found[:count]


def _flag(wanted: dict[str, list[str]], key: str, value: bool) -> bool:
    return all((v.lower() in ("true", "1")) == value for v in wanted.get(key, []))
