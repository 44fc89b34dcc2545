"""What ``hullbox buildx`` asks of the engine beyond ``build``: the builder's
platform and the build cache's entries."""

from __future__ import annotations

import platform
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hullbox.build.cache import CachedLayer
    from hullbox.store.store import Store

_ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm/v7", "i686": "386"}


def host_platform() -> str:
    """The one platform hullbox's builder makes images for: this host's."""
    machine = platform.machine()
    return f"linux/{_ARCHITECTURES.get(machine, machine)}"


def cache_entries(store: Store) -> list[CachedLayer]:
    """The build cache, as ``buildx du`` lists it."""
    from hullbox.build.cache import BuildCache

    return BuildCache(store).entries()
