"""Multi-platform indexes across pull and push.

A pull through an index keeps the index blob (the image's RepoDigest names
it). A push of that image sends the index back, children first, when every
platform it lists is wholly in the store (pulled once per ``--platform``);
otherwise it sends the one image it has and says which platforms it left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hullbox.errors import StoreError
from hullbox.oci.image import MEDIA_INDEX
from hullbox.store import images as image_db
from hullbox.store.store import Store


@dataclass(frozen=True)
class StoredIndex:
    """An index an image was pulled through, as the registry sent it."""

    data: bytes
    digest: str
    media_type: str
    platform: str  # the image's own platform in it
    missing: list[str]  # platforms whose image is not wholly in the store

    @property
    def children(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = json.loads(self.data)["manifests"]
        return entries


def stored_index(store: Store, image_id: str, manifest_digest: str) -> StoredIndex | None:
    """The index in the store that lists this image's manifest, if it came
    through one."""
    for ref in image_db.repo_digests(store, image_id):
        digest = ref.rsplit("@", 1)[1]
        if digest == manifest_digest:
            continue
        index = _json_blob(store, digest)
        entries = index.get("manifests") if index else None
        if not isinstance(entries, list):
            continue
        mine = next((e for e in entries if isinstance(e, dict)
                     and e.get("digest") == manifest_digest), None)
        if mine is None:
            continue
        missing = [platform_text(e) for e in entries
                   if not isinstance(e, dict) or not _complete(store, str(e.get("digest")))]
        return StoredIndex(store.read_blob(digest), digest,
                           str((index or {}).get("mediaType") or MEDIA_INDEX),
                           platform_text(mine), missing)
    return None


def platform_text(entry: object) -> str:
    """``linux/arm64/v8`` of an index entry; ``unknown`` when it names none."""
    platform = entry.get("platform") if isinstance(entry, dict) else None
    if not isinstance(platform, dict) or not platform.get("os"):
        return "unknown"
    parts = [platform.get("os"), platform.get("architecture"), platform.get("variant")]
    return "/".join(str(p) for p in parts if p)


def _json_blob(store: Store, digest: str) -> dict[str, Any] | None:
    if not digest.startswith("sha256:") or not store.has_blob(digest):
        return None
    try:
        data = json.loads(store.read_blob(digest))
    except (StoreError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _complete(store: Store, digest: str) -> bool:
    """The manifest, its config and every layer blob are in the store."""
    manifest = _json_blob(store, digest)
    if manifest is None:
        return False
    descriptors = [manifest.get("config"), *(manifest.get("layers") or [])]
    return all(isinstance(d, dict) and str(d.get("digest", "")).startswith("sha256:")
               and store.has_blob(str(d["digest"])) for d in descriptors)
