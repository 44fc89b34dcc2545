"""``hullbox pull``: manifest -> platform -> config -> layers -> store.

Layers download in parallel, each into its resumable partial file, and are
unpacked straight after into a staging directory while other layers are still
arriving. Nothing enters the store until every layer is verified (blob digest
while streaming, DiffID while unpacking); then, under the store lock, the
blobs are renamed into place, the layers named by chain ID and the image
recorded, all undone together if any step fails. A failed pull leaves only
partial files in the store's tmp, which the next pull resumes from.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hullbox.errors import LayerError, StoreError
from hullbox.image.compression import HashingReader, decompressed, drain, peek_compression
from hullbox.image.tarlayer import unpack_layer
from hullbox.oci.digest import chain_ids, sha256_digest
from hullbox.oci.image import Descriptor, ImageConfig, Manifest
from hullbox.oci.reference import Reference
from hullbox.registry.download import fetch_blob
from hullbox.registry.errors import DigestMismatch, RegistryError
from hullbox.registry.platform import Platform, available, select_manifest
from hullbox.registry.repository import (
    IMAGE_TYPES,
    INDEX_TYPES,
    FetchedManifest,
    Repository,
)
from hullbox.store import images as image_db
from hullbox.store.images import ImageRecord, LayerRecord
from hullbox.store.store import LayerStaging, Store

_CHUNK = 1 << 20
PARALLEL_LAYERS = 4
_PROGRESS_STEP = 256 * 1024


@dataclass(frozen=True)
class LayerEvent:
    """Progress of one layer, for the front end to draw."""

    digest: str
    # "Already exists", "Downloading", "Download complete", "Extracting",
    # "Pull complete"; progress-only ("Downloading" with bytes, "Extracting")
    # events go to the listener but not into PullResult.events.
    status: str
    current: int = 0
    total: int = 0
    resumed_from: int = 0


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


Listener = Callable[[LayerEvent], None]


def resolve_manifest(
    repo: Repository, ref: Reference, platform: Platform
) -> tuple[FetchedManifest, FetchedManifest]:
    """The top manifest the reference names and, through an index, the image
    manifest for ``platform`` (the same one when it is not an index)."""
    what = ref.familiar
    top = repo.get_manifest(ref.digest or ref.tag or "latest", what=what)
    media_type = _media_type(top)
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
    child_type = _media_type(child)
    if child_type not in IMAGE_TYPES:
        raise RegistryError(f"manifest for {what} ({platform}) has media type {child_type!r}")
    return top, FetchedManifest(child.data, child.digest, child_type)


def _media_type(fetched: FetchedManifest) -> str:
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
) -> PullResult:
    """Pull ``ref`` from ``repo`` into ``store``; see the module docstring."""
    top, fetched = resolve_manifest(repo, ref, platform)
    manifest = Manifest.from_json(json.loads(fetched.data))
    config_bytes = _small_blob(store, repo, manifest.config)
    config = ImageConfig.from_json(json.loads(config_bytes))
    if len(config.diff_ids) != len(manifest.layers):
        raise RegistryError(
            f"image {ref.familiar} is inconsistent: {len(manifest.layers)} layers but "
            f"{len(config.diff_ids)} diff_ids in its config"
        )
    tag = str(Reference(ref.domain, ref.path, None, ref.digest)) if ref.digest else str(ref)
    with contextlib.ExitStack() as stack:
        session = _Session(store, repo, listener, stack)
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
        downloaded=sum(1 for j in jobs if j.blob_path is not None and not j.had_blob),
        resumed=sum(1 for j in jobs if j.resumed_from),
        existing=sum(1 for j in jobs if not j.unpack and j.had_blob),
        events=session.events,
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


@dataclass
class _Job:
    """One layer of the image: what to fetch and where to unpack it."""

    desc: Descriptor
    diff_id: str
    chain_id: str
    parent: str | None
    unpack: bool  # False: the layer is already unpacked in the store
    had_blob: bool
    # Made when unpacking starts, so a pull killed while downloading leaves
    # nothing but its partial files.
    staging: LayerStaging | None = None
    size: int = 0
    blob_path: Path | None = None
    resumed_from: int = 0


class _Session:
    def __init__(self, store: Store, repo: Repository, listener: Listener | None,
                 stack: contextlib.ExitStack) -> None:
        self.store = store
        self._stack = stack  # the staging dirs, removed unless committed
        self.repo = repo
        self.listener = listener
        self.events: list[LayerEvent] = []
        self._lock = threading.Lock()
        self._fetched: dict[str, threading.Lock] = {}

    def emit(self, event: LayerEvent, *, record: bool = True) -> None:
        with self._lock:
            if record:
                self.events.append(event)
            if self.listener is not None:
                self.listener(event)

    def _progress(self, desc: Descriptor) -> Callable[[int], None] | None:
        """Byte counts of a download for the listener, at most one per
        _PROGRESS_STEP (a bar needs no more), never kept in ``events``."""
        if self.listener is None:
            return None
        last = [0]

        def report(current: int) -> None:
            if current - last[0] >= _PROGRESS_STEP or current >= desc.size:
                last[0] = current
                self.emit(LayerEvent(desc.digest, "Downloading", current, desc.size),
                          record=False)

        return report

    def plan(self, layers: list[Descriptor], diff_ids: list[str]) -> list[_Job]:
        chains = chain_ids(diff_ids)
        jobs: list[_Job] = []
        for i, (desc, diff_id, chain) in enumerate(zip(layers, diff_ids, chains, strict=True)):
            have_layer = self.store.has_layer(chain)
            job = _Job(desc, diff_id, chain, chains[i - 1] if i else None, not have_layer,
                       self.store.has_blob(desc.digest))
            if have_layer:
                job.size = _layer_size(self.store, chain)
            jobs.append(job)
        return jobs

    def run(self, jobs: list[_Job]) -> None:
        todo = [j for j in jobs if j.unpack or not j.had_blob]
        for job in jobs:
            if not job.unpack and job.had_blob:
                self.emit(LayerEvent(job.desc.digest, "Already exists"))
        if not todo:
            return
        self.store.tmp_dir.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=min(PARALLEL_LAYERS, len(todo))) as pool:
            futures = [pool.submit(self._layer, job) for job in todo]
            errors = [f.exception() for f in futures]
        first = next((e for e in errors if e is not None), None)
        if first is not None:
            raise first

    def _layer(self, job: _Job) -> None:
        desc = job.desc
        if job.had_blob:
            path = self.store.blob_path(desc.digest)
        else:
            self.emit(LayerEvent(desc.digest, "Downloading", 0, desc.size))
            path, job.resumed_from = fetch_blob(self.repo, desc.digest, desc.size,
                                                self.store.tmp_dir,
                                                progress=self._progress(desc))
            job.blob_path = path
            self.emit(LayerEvent(desc.digest, "Download complete", desc.size, desc.size,
                                 job.resumed_from))
        if job.unpack:
            with self._lock:
                job.staging = self._stack.enter_context(self.store.stage_layer())
            self.emit(LayerEvent(desc.digest, "Extracting", desc.size, desc.size), record=False)
            job.size = _unpack(path, job, self.repo.name)
            self.emit(LayerEvent(desc.digest, "Pull complete", desc.size, desc.size,
                                 job.resumed_from))

    def commit(self, jobs: list[_Job], small_blobs: list[bytes], created: str,
               tag: str) -> ImageRecord:
        """Move the layers and blobs into the store and record the image;
        ``small_blobs`` are its config, its manifest, then maybe its index."""
        config_bytes, manifest_bytes = small_blobs[:2]
        store = self.store
        with store.lock(), contextlib.ExitStack() as undo:
            try:
                for job in jobs:
                    if job.blob_path is not None and not store.has_blob(job.desc.digest):
                        os.replace(job.blob_path, store.blob_path(job.desc.digest))
                        undo.callback(_unlink, store.blob_path(job.desc.digest))
                    if job.staging is not None and job.staging.commit(job.chain_id):
                        undo.callback(shutil.rmtree, store.layer_dir(job.chain_id).parent,
                                      ignore_errors=True)
                for data in small_blobs:
                    digest = sha256_digest(data)
                    if not store.has_blob(digest):
                        store.put_blob(data)
                        undo.callback(_unlink, store.blob_path(digest))
            except OSError as exc:
                raise StoreError(f"store pulled image {tag}: {exc.strerror or exc}") from exc
            record = image_db.add_image(
                store,
                config_digest=sha256_digest(config_bytes),
                manifest_digest=sha256_digest(manifest_bytes),
                size=sum(j.size for j in jobs),
                created=created,
                layers=[LayerRecord(j.chain_id, j.diff_id, j.parent, j.size) for j in jobs],
                tags=[tag],
            )
            undo.pop_all()
        for job in jobs:  # a duplicate layer's second partial was renamed already
            if job.blob_path is not None:
                _unlink(job.blob_path)
        return record


def _unpack(path: Path, job: _Job, repo_name: str) -> int:
    """Unpack a verified blob into the job's staging dir; check its DiffID."""
    assert job.staging is not None
    label = f"layer {job.desc.digest[:19]} of {repo_name}"
    try:
        with open(path, "rb") as raw:
            sniffed, compression = peek_compression(raw)
            tar = HashingReader(decompressed(sniffed, compression, label))
            stream = io.BufferedReader(tar, _CHUNK)
            size = unpack_layer(stream, job.staging.diff_dir)
            drain(stream)
    except OSError as exc:
        raise LayerError(f"unpack {label}: {exc.strerror or exc}") from exc
    if tar.digest != job.diff_id:
        raise LayerError(
            f"{label} unpacks to {tar.digest[:19]}, not the {job.diff_id[:19]} its image "
            "config names: refusing it"
        )
    return size


def _layer_size(store: Store, chain_id: str) -> int:
    found = image_db.layer_chain(store, chain_id)
    return found[0].size if found else 0


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
