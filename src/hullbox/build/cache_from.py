"""``build --cache-from IMAGE``: an image hullbox built keeps each layer's
cache key in its history entry (``CACHE_KEY``), as BuildKit's inline cache
keeps its keys in the image config; a step whose key one of these images
lists reuses that image's layer instead of running."""

from __future__ import annotations

from hullbox.build.cache import CachedLayer
from hullbox.build.plan import BaseImage
from hullbox.oci.digest import chain_ids
from hullbox.store import images as image_db
from hullbox.store.store import Store

CACHE_KEY = "hullbox.cache.key"


def cache_index(store: Store, images: list[BaseImage]) -> dict[str, CachedLayer]:
    """Step key -> the layer an image made for it, over every image given."""
    found: dict[str, CachedLayer] = {}
    for image in images:
        diff_ids = image.config.diff_ids
        if not diff_ids or len(image.layers) != len(diff_ids):
            continue
        chain = chain_ids(diff_ids)
        sizes = [r.size for r in reversed(image_db.layer_chain(store, chain[-1]))]
        index = 0
        for entry in image.config.history:
            if entry.get("empty_layer"):
                continue
            if index >= len(diff_ids):
                break
            key = entry.get(CACHE_KEY)
            if isinstance(key, str) and key not in found:
                found[key] = CachedLayer(image.layers[index], diff_ids[index], chain[index],
                                         chain[index - 1] if index else None,
                                         sizes[index] if index < len(sizes) else 0,
                                         str(entry.get("created", "")))
            index += 1
    return found
