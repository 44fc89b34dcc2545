"""``hullbox pull``: manifest -> platform -> config -> layers -> store.

The layers move in parallel, each unpacked while it downloads (see
``registry.layers``); nothing enters the store until every layer is verified
(blob digest and DiffID), and then all of it at once under the store lock. A
failed pull leaves only partial files in the store's tmp, which the next pull
resumes from.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from hullbox.oci.digest import sha256_digest
from hullbox.oci.image import Descriptor, ImageConfig, Manifest
from hullbox.oci.reference import Reference
from hullbox.registry.errors import DigestMismatch, RegistryError
from hullbox.registry.layers import LayerEvent, LayerSession, Listener
from hullbox.registry.platform import Platform, available, select_manifest
from hullbox.registry.repository import (
    IMAGE_TYPES,
    INDEX_TYPES,
    FetchedManifest,
    Repository,
)
from hullbox.store.images import ImageRecord
from hullbox.store.store import Store

__all__ = ["LayerEvent", "PullResult", "pull_image", "resolve_manifest"]


@dataclass
class PullResult:
    """What a pull did."""

    reference: str
    digest: str  # the digest the registry knows the image by (index or manifest)
    image: ImageRecord
    downloaded: int = 0  # layers fetched
    resumed: int = 0  # layers that continued from a partial file
    existing: int = 0  # layers already in the store
    events: list[LayerEvent] = field(default_factory=list)


def resolve_manifest(
    repo: Repository, ref: Reference, platform: Platform
) -> tuple[FetchedManifest, FetchedManifest]:
    """The top manifest the reference names and, through an index, the image
    manifest for ``platform`` (the same one when it is not an index)."""
    what = ref.familiar
    top = repo.get_manifest(ref.digest or ref.tag or "latest", what=what)
    media_type = media_type_of(top)
    if media_type in IMAGE_TYPES:
        return top, FetchedManifest(top.data, top.digest, media_type)
    if media_type not in INDEX_TYPES:
        raise RegistryError(
            f"manifest for {what} has media type {media_type or 'none'!r}, which hullbox "
            "does not support (it reads OCI and Docker schema 2 images)"
        )
    index = json.loads(top.data)
    entry = select_manifest(index, platform)
    if entry is None:
        offered = ", ".join(available(index)) or "none"
        raise RegistryError(
            f"{what} has no image for platform {platform} (it has: {offered}); "
            "choose one with --platform"
        )
    child = repo.get_manifest(entry["digest"], what=f"{what} ({platform})")
    child_type = media_type_of(child)
    if child_type not in IMAGE_TYPES:
        raise RegistryError(f"manifest for {what} ({platform}) has media type {child_type!r}")
    return top, FetchedManifest(child.data, child.digest, child_type)


def media_type_of(fetched: FetchedManifest) -> str:
    """The Content-Type, or the manifest's own mediaType when the registry sent
    a generic one."""
    if fetched.media_type in IMAGE_TYPES | INDEX_TYPES:
        return fetched.media_type
    try:
        data: dict[str, Any] = json.loads(fetched.data)
    except ValueError:
        return fetched.media_type
    declared = str(data.get("mediaType") or "")
    if not declared and data.get("schemaVersion") == 2:
        # OCI made mediaType optional: tell an index from a manifest by shape.
        declared = "application/vnd.oci.image.index.v1+json" if "manifests" in data else (
            "application/vnd.oci.image.manifest.v1+json" if "config" in data else "")
    return declared or fetched.media_type


def pull_image(
    store: Store,
    repo: Repository,
    ref: Reference,
    platform: Platform,
    *,
    listener: Listener | None = None,
    platform_given: bool = False,
) -> PullResult:
    """Pull ``ref`` from ``repo`` into ``store``; see the module docstring."""
    top, fetched = resolve_manifest(repo, ref, platform)
    manifest = Manifest.from_json(json.loads(fetched.data))
    config_bytes = _small_blob(store, repo, manifest.config)
    config = ImageConfig.from_json(json.loads(config_bytes))
    if platform_given and top.digest == fetched.digest:
        _check_platform(ref, config, platform)
    if len(config.diff_ids) != len(manifest.layers):
        raise RegistryError(
            f"image {ref.familiar} is inconsistent: {len(manifest.layers)} layers but "
            f"{len(config.diff_ids)} diff_ids in its config"
        )
    tag = str(Reference(ref.domain, ref.path, None, ref.digest)) if ref.digest else str(ref)
    with contextlib.ExitStack() as stack:
        session = LayerSession(store, repo, listener, stack)
        jobs = session.plan(manifest.layers, config.diff_ids)
        session.run(jobs)
        # An index is kept too (the image's RepoDigest names it), so a push
        # can send it back whole once every platform is here.
        extra = [top.data] if top.digest != fetched.digest else []
        record = session.commit(jobs, [config_bytes, fetched.data, *extra],
                                config.created, tag)
    return PullResult(
        reference=tag,
        digest=top.digest,
        image=record,
        downloaded=sum(1 for j in jobs if j.fetched),
        resumed=sum(1 for j in jobs if j.resumed_from),
        existing=sum(1 for j in jobs if j.existing),
        events=session.events,
    )


def _check_platform(ref: Reference, config: ImageConfig, wanted: Platform) -> None:
    """A single-platform image asked for with ``--platform``: it must be the
    one asked for, as ``docker pull`` checks."""
    actual = {"os": config.os, "architecture": config.architecture,
              "variant": config.variant}
    if not wanted.matches(actual):
        shown = "/".join(p for p in (config.os, config.architecture, config.variant) if p)
        raise RegistryError(
            f"image {ref.familiar} was found but does not match the specified platform: "
            f"wanted {wanted}, actual: {shown or 'unknown'}; drop --platform to pull it anyway"
        )


def _small_blob(store: Store, repo: Repository, desc: Descriptor) -> bytes:
    """A config blob: from the store when there, else fetched and verified."""
    if store.has_blob(desc.digest):
        return store.read_blob(desc.digest)
    response = repo.open_blob(desc.digest)
    with contextlib.closing(response):
        data = response.read()
    if sha256_digest(data) != desc.digest:
        raise DigestMismatch(
            f"config blob {desc.digest[:19]} of {repo.name} does not match its digest: "
            "refusing it"
        )
    return data


