"""The registry half of ``hullbox manifest``: fetch an image manifest with the
platform its config names, and push a manifest list (an OCI index or a
Docker manifest list) whose children are already in the registry."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from hullbox.oci.digest import sha256_digest
from hullbox.oci.image import DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, MEDIA_INDEX
from hullbox.oci.reference import Reference
from hullbox.registry.client import error_text
from hullbox.registry.errors import DigestMismatch, ManifestNotFound, RegistryError
from hullbox.registry.pull import media_type_of
from hullbox.registry.repository import IMAGE_TYPES, INDEX_TYPES, FetchedManifest, Repository

# The image config keys a manifest list's platform object takes, in the order
# docker writes them.
_PLATFORM_KEYS = ("architecture", "os", "os.version", "os.features", "variant")


@dataclass
class ListEntry:
    """One image of a manifest list: docker's ImageManifest (its Ref, its
    Descriptor with the platform, and the manifest's own bytes)."""

    ref: str
    media_type: str
    digest: str
    size: int
    platform: dict[str, Any] = field(default_factory=dict)
    raw: bytes = b""

    def descriptor(self) -> dict[str, Any]:
        """As a manifest list entry (distribution's field order)."""
        return {"mediaType": self.media_type, "size": self.size, "digest": self.digest,
                "platform": self.platform}


def fetch(repo: Repository, ref: Reference) -> tuple[FetchedManifest, str]:
    """The manifest a reference names, and its media type (index or image)."""
    fetched = repo.get_manifest(ref.digest or ref.tag or "latest", what=ref.familiar)
    media_type = media_type_of(fetched)
    if media_type not in IMAGE_TYPES | INDEX_TYPES:
        raise RegistryError(f"manifest for {ref.familiar} has media type {media_type!r}, "
                            "which hullbox does not read (OCI and Docker schema 2 only)")
    return fetched, media_type


def image_entry(repo: Repository, ref: Reference, *, platform: dict[str, Any] | None = None,
                fetched: FetchedManifest | None = None) -> ListEntry:
    """The entry for the image manifest ``ref`` names; its platform from its
    config unless ``platform`` is given (an index said it)."""
    if fetched is None:
        fetched, media_type = fetch(repo, ref)
        if media_type in INDEX_TYPES:
            raise RegistryError(f"{ref.familiar} is a manifest list; name one of its "
                                "images (by tag or digest) instead")
    else:
        media_type = media_type_of(fetched)
    if platform is None:
        platform = _config_platform(repo, json.loads(fetched.data))
    return ListEntry(str(ref), media_type, fetched.digest, len(fetched.data), platform,
                     fetched.data)


def _config_platform(repo: Repository, manifest: dict[str, Any]) -> dict[str, Any]:
    digest = str((manifest.get("config") or {}).get("digest") or "")
    response = repo.open_blob(digest)
    with contextlib.closing(response):
        data = response.read()
    if sha256_digest(data) != digest:
        raise DigestMismatch(f"config blob {digest[:19]} of {repo.name} does not match its "
                             "digest: refusing it")
    config = json.loads(data)
    return {key: config[key] for key in _PLATFORM_KEYS if config.get(key)}


def index_entries(repo: Repository, ref: Reference, index: bytes) -> list[ListEntry]:
    """Each image an index lists, fetched by digest, with the index's platform."""
    entries = []
    for item in json.loads(index).get("manifests") or []:
        # docker names an index's image LIST:TAG@DIGEST
        child = Reference(ref.domain, ref.path, ref.tag, str(item.get("digest")))
        entries.append(image_entry(repo, child, platform=dict(item.get("platform") or {})))
    return entries


def list_media_type(entries: list[ListEntry]) -> str:
    """A Docker manifest list when every image is a Docker schema 2 manifest
    (as docker pushes it), else an OCI index."""
    if entries and all(e.media_type == DOCKER_MANIFEST for e in entries):
        return DOCKER_MANIFEST_LIST
    return MEDIA_INDEX


def list_bytes(entries: list[ListEntry]) -> bytes:
    """The manifest list document of ``entries``."""
    # Indented by three spaces, as distribution's MarshalJSON writes a list:
    # the same bytes (and digest) docker pushes for the same images.
    return json.dumps({"schemaVersion": 2, "mediaType": list_media_type(entries),
                       "manifests": [e.descriptor() for e in entries]}, indent=3).encode()


def push_list(repo: Repository, tag: str, entries: list[ListEntry]) -> str:
    """Put the list under ``tag``, after making sure every image it lists is
    in ``repo`` (those from a sibling repository of the registry are linked
    in: their blobs mounted, their manifest put by digest). Returns its digest."""
    for entry in entries:
        _ensure_child(repo, entry)
    return repo.put_manifest(tag, list_bytes(entries), list_media_type(entries))


def _ensure_child(repo: Repository, entry: ListEntry) -> None:
    if has_manifest(repo, entry.digest):
        return
    from hullbox.oci import reference

    source = reference.parse(entry.ref)
    if source.path == repo.name:
        raise ManifestNotFound(
            f"{entry.ref} ({entry.digest[:19]}) is no longer in {repo.client.registry}/"
            f"{repo.name}; push it again, then: hullbox manifest create --amend")
    manifest = json.loads(entry.raw)
    for desc in [manifest.get("config") or {}, *(manifest.get("layers") or [])]:
        if not repo.mount_blob(str(desc.get("digest")), source.path):
            raise ManifestNotFound(
                f"push {entry.ref} into {repo.name}: the registry would not link its blob "
                f"{str(desc.get('digest'))[:19]} from {source.path}; push the image to "
                f"{repo.client.registry}/{repo.name} first")
    repo.put_manifest(entry.digest, entry.raw, entry.media_type)


def has_manifest(repo: Repository, digest: str) -> bool:
    """Whether the repository holds a manifest by this digest (HEAD)."""
    from hullbox.registry.repository import MANIFEST_ACCEPT

    response = repo.client.request("HEAD", f"/v2/{repo.name}/manifests/{digest}",
                                   scopes=repo.scopes, headers={"Accept": MANIFEST_ACCEPT})
    response.close()
    if response.status_code == 404:
        return False
    if response.status_code >= 400:
        raise RegistryError(f"check manifest {digest[:19]} in {repo.name}: "
                            f"{error_text(response)}")
    return True
