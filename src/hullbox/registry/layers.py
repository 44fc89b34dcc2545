"""The layers of a pull: each one downloaded and unpacked in the same pass.

Every layer has its own thread. Its bytes go from the socket to the partial
file and the blob's hash, through the decompressor and the DiffID's hash,
straight into the unpacker; zlib, hashlib and file writes let go of the GIL,
so the layers really do move side by side. Nothing enters the store here: the
unpacked layers wait in staging directories and the blobs in their partial
files until ``commit``, which renames them all under the store lock and
records the image, or undoes every step. Each partial file stays locked until
then (see ``registry.download``), so a concurrent pull of the same blob waits
for this one to store it. A blob that does not match its
digest (or unpacks to the wrong DiffID) takes its partial file and its
staging directory with it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from hullbox.errors import LayerError, StoreError
from hullbox.image.compression import hashed, inflate, peek_chunks
from hullbox.image.tarlayer import unpack_layer
from hullbox.oci.digest import chain_ids, sha256_digest
from hullbox.oci.image import Descriptor
from hullbox.registry.download import BlobDownload, locked_partial, partial_path
from hullbox.registry.repository import Repository
from hullbox.registry.staging import pull_staging, sweep_killed
from hullbox.store import images as image_db
from hullbox.store.images import ImageRecord, LayerRecord
from hullbox.store.store import LayerStaging, Store, remove_file

_CHUNK = 1 << 20
PARALLEL_LAYERS = 5
_PROGRESS_STEP = 256 * 1024


@dataclass(frozen=True)
class LayerEvent:
    """Progress of one layer, for the front end to draw."""

    digest: str
    # "Already exists", "Waiting" (for another pull of the blob), "Downloading",
    # "Download complete", "Pull complete";
    # "Downloading" with byte counts goes to the listener but not into
    # PullResult.events.
    status: str
    current: int = 0
    total: int = 0
    resumed_from: int = 0


Listener = Callable[[LayerEvent], None]


@dataclass
class LayerJob:
    """One layer of the image: what to fetch and where to unpack it."""

    desc: Descriptor
    diff_id: str
    chain_id: str
    parent: str | None
    unpack: bool  # False: the layer is already unpacked in the store
    had_blob: bool
    # Made when unpacking starts, so a pull killed while waiting leaves
    # nothing but its partial files.
    staging: LayerStaging | None = None
    size: int = 0
    partial: Path | None = None  # a verified blob waiting to enter the store
    fetched: bool = False  # bytes came from the registry
    resumed_from: int = 0
    existing: bool = False  # nothing to do: the store had it all


class LayerSession:
    """The layer jobs of one pull; ``stack`` removes the staging directories
    unless they were committed."""

    def __init__(self, store: Store, repo: Repository, listener: Listener | None,
                 stack: contextlib.ExitStack) -> None:
        self.store = store
        self.repo = repo
        self.listener = listener
        self.events: list[LayerEvent] = []
        self._stack = stack
        self._lock = threading.Lock()

    def emit(self, event: LayerEvent, *, record: bool = True) -> None:
        with self._lock:
            if record:
                self.events.append(event)
            if self.listener is not None:
                self.listener(event)

    def _progress(self, desc: Descriptor) -> Callable[[int], None] | None:
        """Byte counts for the listener, at most one per _PROGRESS_STEP."""
        if self.listener is None:
            return None
        last = [0]

        def report(current: int) -> None:
            if current - last[0] >= _PROGRESS_STEP or current >= desc.size:
                last[0] = current
                self.emit(LayerEvent(desc.digest, "Downloading", current, desc.size),
                          record=False)

        return report

    def plan(self, layers: list[Descriptor], diff_ids: list[str]) -> list[LayerJob]:
        chains = chain_ids(diff_ids)
        return [
            LayerJob(desc, diff_id, chain, chains[i - 1] if i else None,
                     not self.store.has_layer(chain), self.store.has_blob(desc.digest))
            for i, (desc, diff_id, chain) in enumerate(zip(layers, diff_ids, chains,
                                                           strict=True))
        ]

    def run(self, jobs: list[LayerJob]) -> None:
        todo = [j for j in jobs if j.unpack or not j.had_blob]
        for job in jobs:
            if job not in todo:
                job.existing = True
                self.emit(LayerEvent(job.desc.digest, "Already exists"))
        if not todo:
            return
        sweep_killed(self.store)
        # One task per blob: an image may name a blob twice (under two
        # parents), and its jobs share the one locked partial file.
        by_blob: dict[str, list[LayerJob]] = {}
        for job in todo:
            by_blob.setdefault(job.desc.digest, []).append(job)
        futures = []
        with ThreadPoolExecutor(max_workers=min(PARALLEL_LAYERS, len(by_blob))) as pool:
            try:
                # Partial files are locked in digest order, each blob's work
                # starting as soon as its lock is held: two pulls that share
                # blobs then wait for each other in one order, never in a
                # circle. The locks are let go when the pull ends.
                for digest in sorted(by_blob):
                    fd = self._stack.enter_context(locked_partial(
                        self.store.tmp_dir, digest, functools.partial(self.store.has_blob, digest),
                        functools.partial(self._waiting, digest)))
                    futures.append(pool.submit(self._layers, by_blob[digest], fd))
            finally:
                errors = [f.exception() for f in futures]
        first = next((e for e in errors if e is not None), None)
        if first is not None:
            raise first

    def _waiting(self, digest: str) -> None:
        self.emit(LayerEvent(digest, "Waiting"), record=False)

    def _layers(self, jobs: list[LayerJob], fd: int | None) -> None:
        for job in jobs:
            try:
                self._fetch_layer(job, fd)
            except OSError as exc:
                raise StoreError(f"pull layer {job.desc.digest[:19]} of {self.repo.name}: "
                                 f"{exc.strerror or exc}") from exc

    def _fetch_layer(self, job: LayerJob, fd: int | None) -> None:
        """Download (or read back) and unpack one layer; ``fd`` is its blob's
        locked partial file, or None when the store has the blob."""
        desc, store = job.desc, self.store
        # Another pull may have stored it while this one waited.
        job.unpack = job.unpack and not store.has_layer(job.chain_id)
        if fd is None:
            if not job.unpack:
                job.existing = True
                self.emit(LayerEvent(desc.digest, "Already exists"))
                return
            with open(store.blob_path(desc.digest), "rb", buffering=0) as blob:
                self._feed(job, iter(lambda: blob.read(_CHUNK), b""), None)
        else:
            download = BlobDownload(self.repo, desc.digest, desc.size, fd,
                                    partial_path(store.tmp_dir, desc.digest),
                                    progress=self._progress(desc))
            self.emit(LayerEvent(desc.digest, "Downloading", 0, desc.size), record=False)
            self._feed(job, download.chunks(), download)
            job.partial, job.fetched = download.path, download.fetched
            job.resumed_from = download.resumed_from
            self.emit(LayerEvent(desc.digest, "Download complete", desc.size, desc.size,
                                 job.resumed_from), record=False)
        self.emit(LayerEvent(desc.digest, "Pull complete", desc.size, desc.size,
                             job.resumed_from))

    def _feed(self, job: LayerJob, chunks: Iterator[bytes],
              download: BlobDownload | None) -> None:
        """Unpack ``chunks`` (unless the layer is there) and check both digests."""
        label = f"layer {job.desc.digest[:19]} of {self.repo.name}"
        tar_hash = hashlib.sha256()
        try:
            if job.unpack:
                with self._lock:
                    job.staging = self._stack.enter_context(pull_staging(self.store))
                job.size = _unpack(chunks, job.staging.diff_dir, tar_hash, label)
            for _ in chunks:
                pass
        except LayerError:
            if download is not None:
                # The bytes may be to blame: finish the download to know.
                for _ in chunks:
                    pass
                download.verify()
            raise
        if download is not None:
            download.verify()
        if job.unpack and "sha256:" + tar_hash.hexdigest() != job.diff_id:
            if download is not None:
                download.discard()
            raise LayerError(
                f"{label} unpacks to sha256:{tar_hash.hexdigest()[:12]}, not the "
                f"{job.diff_id[:19]} its image config names: refusing it"
            )

    def commit(self, jobs: list[LayerJob], small_blobs: list[bytes], created: str,
               tag: str) -> ImageRecord:
        """Move the layers and blobs into the store and record the image;
        ``small_blobs`` are its config, its manifest, then maybe its index."""
        config_bytes, manifest_bytes = small_blobs[:2]
        store = self.store
        with store.lock(), contextlib.ExitStack() as undo:
            try:
                for job in jobs:
                    self._commit_layer(job, undo)
                store.put_new_blobs(list(small_blobs), undo)
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
        return record

    def _commit_layer(self, job: LayerJob, undo: contextlib.ExitStack) -> None:
        store = self.store
        if job.partial is not None:
            if store.has_blob(job.desc.digest):
                remove_file(job.partial)  # a copy: another pull stored the blob first
            else:
                os.replace(job.partial, store.blob_path(job.desc.digest))
                undo.callback(remove_file, store.blob_path(job.desc.digest))
        if job.staging is not None and job.staging.commit(job.chain_id):
            undo.callback(shutil.rmtree, store.layer_dir(job.chain_id).parent,
                          ignore_errors=True)
        elif job.staging is None:
            found = image_db.layer_chain(store, job.chain_id)
            job.size = found[0].size if found else 0


def _unpack(chunks: Iterator[bytes], target: Path, tar_hash: hashlib._Hash,
            label: str) -> int:
    """Decompress, hash and unpack a layer's chunks into ``target``."""
    try:
        chunks, compression = peek_chunks(chunks)
        tar = hashed(inflate(chunks, compression, label), tar_hash)
        size = unpack_layer(tar, target)
        for _ in tar:  # tar stops at its end marker; the DiffID covers every byte
            pass
    except OSError as exc:
        raise LayerError(f"unpack {label}: {exc.strerror or exc}") from exc
    return size


