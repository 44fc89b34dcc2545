"""The build cache: a step's key -> the layer it made.

One small JSON file per key under ``ROOT/buildcache``, written atomically.
Garbage collection keeps the layers and blobs that entries name
(``cached_refs``); ``hullbox builder prune`` empties it.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

from hullbox.image.layerwriter import chain_id_of, layer_from_blob
from hullbox.oci.digest import digest_hex
from hullbox.oci.image import Descriptor
from hullbox.store.atomic import write_atomic
from hullbox.store.store import Store


@dataclass(frozen=True)
class CachedLayer:
    """What a RUN/COPY/ADD step made: its layer and when."""

    descriptor: Descriptor
    diff_id: str
    chain_id: str
    parent: str | None
    size: int
    created: str

    def to_json(self) -> dict[str, object]:
        return {"descriptor": self.descriptor.to_json(), "diff_id": self.diff_id,
                "chain_id": self.chain_id, "parent": self.parent, "size": self.size,
                "created": self.created}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> CachedLayer:
        descriptor = data["descriptor"]
        assert isinstance(descriptor, dict)
        parent = data.get("parent")
        return cls(Descriptor.from_json(descriptor), str(data["diff_id"]),
                   str(data["chain_id"]), None if parent is None else str(parent),
                   int(str(data["size"])), str(data["created"]))


class BuildCache:
    """The cache of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.dir = store.root / "buildcache"

    def _path(self, key: str) -> Path:
        return self.dir / digest_hex(key)

    def get(self, key: str) -> CachedLayer | None:
        """The entry for ``key`` when its layer and blob are still there."""
        try:
            entry = CachedLayer.from_json(json.loads(self._path(key).read_bytes()))
        except (OSError, ValueError, KeyError, AssertionError):
            return None
        if not (self.store.has_layer(entry.chain_id)
                and self.store.has_blob(entry.descriptor.digest)):
            return None
        return entry

    def put(self, key: str, entry: CachedLayer) -> None:
        """Record an entry; call under the store lock, with the layer's commit."""
        self.dir.mkdir(mode=0o700, exist_ok=True)
        write_atomic(self._path(key), json.dumps(entry.to_json()).encode(), 0o600)

    def rebased(self, entry: CachedLayer, parent: str | None, key: str) -> CachedLayer:
        """A ``COPY --link`` layer made over one parent, put over ``parent``:
        the same blob and DiffID, unpacked under its new chain ID if needed,
        and recorded under ``key`` (the step's key over this parent)."""
        chain_id = chain_id_of(parent, entry.diff_id)
        moved = replace(entry, chain_id=chain_id, parent=parent)
        with self.store.lock():
            if not self.store.has_layer(chain_id):
                layer_from_blob(self.store, entry.descriptor.digest, chain_id)
            self.put(key, moved)
        return moved

    def entries(self) -> list[CachedLayer]:
        out: list[CachedLayer] = []
        if not self.dir.is_dir():
            return out
        for path in self.dir.iterdir():
            if path.name.startswith("."):
                continue
            with contextlib.suppress(OSError, ValueError, KeyError, AssertionError):
                out.append(CachedLayer.from_json(json.loads(path.read_bytes())))
        return out

    def prune(self) -> int:
        """Forget every entry; returns how many there were (the layers go
        with the next garbage collection)."""
        count = 0
        if self.dir.is_dir():
            for path in self.dir.iterdir():
                path.unlink(missing_ok=True)
                count += 1
        return count


def cached_refs(store: Store) -> tuple[set[str], set[str]]:
    """(blob hexes, layer dir names) the cache keeps alive, for the garbage
    collector; the layers below a cached one are kept too."""
    blobs: set[str] = set()
    layers: set[str] = set()
    parents: dict[str, str | None] = {}
    entries = BuildCache(store).entries()
    for entry in entries:
        blobs.add(digest_hex(entry.descriptor.digest))
        layers.add(digest_hex(entry.chain_id))
        parents[entry.chain_id] = entry.parent
    for entry in entries:
        parent = entry.parent
        while parent is not None and digest_hex(parent) not in layers:
            layers.add(digest_hex(parent))
            parent = parents.get(parent)
    return blobs, layers
