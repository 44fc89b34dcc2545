"""``hullbox push``: blobs first (skipped when the registry has them, mounted
from a sibling repository when possible, else uploaded), the manifest last, so
a registry never holds a manifest whose blobs are missing."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from hullbox.oci.image import MEDIA_MANIFEST, Descriptor
from hullbox.oci.reference import Reference
from hullbox.registry.errors import RegistryError
from hullbox.registry.multiarch import StoredIndex
from hullbox.registry.repository import Repository

_CHUNK = 1 << 20
PARALLEL_BLOBS = 4
_PROGRESS_STEP = 256 * 1024


@dataclass(frozen=True)
class BlobEvent:
    """Progress of one blob, for the front end to draw."""

    digest: str
    status: str  # "Layer already exists", "Mounted from ...", "Pushing", "Pushed"
    size: int = 0
    current: int = 0  # bytes sent so far, for "Pushing"


@dataclass
class PushResult:
    """What a push did."""

    reference: str
    tag: str
    digest: str
    size: int
    events: list[BlobEvent] = field(default_factory=list)
    note: str = ""  # something the user should know, e.g. platforms left out


def push_image(
    repo: Repository,
    ref: Reference,
    manifest_bytes: bytes,
    blob_path: Callable[[str], Path],
    *,
    mount_sources: list[str] | None = None,
    chunk_size: int | None = None,
    listener: Callable[[BlobEvent], None] | None = None,
) -> PushResult:
    """Push an image whose manifest is ``manifest_bytes`` and whose blobs are
    the files ``blob_path(digest)``. ``mount_sources`` are other repositories
    on the same registry that may hold the blobs (names this image also has)."""
    data = json.loads(manifest_bytes)
    media_type = str(data.get("mediaType") or MEDIA_MANIFEST)
    blobs = [Descriptor.from_json(d) for d in [data["config"], *data.get("layers", [])]]
    unique = list({d.digest: d for d in blobs}.values())
    lock = threading.Lock()

    def tell(event: BlobEvent) -> None:
        if listener is not None:
            with lock:
                listener(event)

    def one(desc: Descriptor) -> BlobEvent:
        event = _push_blob(repo, desc, blob_path, mount_sources or [], chunk_size,
                           tell if listener is not None else None)
        tell(event)
        return event

    with ThreadPoolExecutor(max_workers=min(PARALLEL_BLOBS, len(unique))) as pool:
        futures = [pool.submit(one, d) for d in unique]
        errors = [f.exception() for f in futures]
    first = next((e for e in errors if e is not None), None)
    if first is not None:
        raise first
    events = [f.result() for f in futures]
    target = ref.digest or ref.tag or "latest"
    digest = repo.put_manifest(target, manifest_bytes, media_type)
    if ref.digest and digest != ref.digest:
        raise RegistryError(f"push {ref.familiar}: the image's manifest digest is {digest}")
    return PushResult(str(ref), target, digest, len(manifest_bytes), events)


def push_index(
    repo: Repository,
    ref: Reference,
    index: StoredIndex,
    read_blob: Callable[[str], bytes],
    blob_path: Callable[[str], Path],
    *,
    mount_sources: list[str] | None = None,
    chunk_size: int | None = None,
    listener: Callable[[BlobEvent], None] | None = None,
) -> PushResult:
    """Push every image an index lists (by digest), then the index itself
    under the tag: the registry never holds an index whose children are
    missing."""
    events: list[BlobEvent] = []
    for entry in index.children:
        child = Reference(ref.domain, ref.path, None, str(entry["digest"]))
        result = push_image(repo, child, read_blob(child.digest or ""), blob_path,
                            mount_sources=mount_sources, chunk_size=chunk_size,
                            listener=listener)
        events.extend(result.events)
    target = ref.digest or ref.tag or "latest"
    digest = repo.put_manifest(target, index.data, index.media_type)
    if ref.digest and digest != ref.digest:
        raise RegistryError(f"push {ref.familiar}: the image's index digest is {digest}")
    return PushResult(str(ref), target, digest, len(index.data), events)


def _push_blob(
    repo: Repository,
    desc: Descriptor,
    blob_path: Callable[[str], Path],
    sources: list[str],
    chunk_size: int | None,
    tell: Callable[[BlobEvent], None] | None,
) -> BlobEvent:
    if repo.has_blob(desc.digest):
        return BlobEvent(desc.digest, "Layer already exists", desc.size)
    for source in sources:
        if source != repo.name and repo.mount_blob(desc.digest, source):
            return BlobEvent(desc.digest, f"Mounted from {source}", desc.size)
    path = blob_path(desc.digest)
    if not path.exists():
        raise RegistryError(
            f"push: blob {desc.digest[:19]} is missing from the local store; "
            "pull or build the image again"
        )

    def chunks() -> Iterator[bytes]:
        sent = reported = 0
        with open(path, "rb") as src:
            while piece := src.read(_CHUNK):
                yield piece
                sent += len(piece)
                if tell is not None and (sent - reported >= _PROGRESS_STEP or sent == desc.size):
                    reported = sent
                    tell(BlobEvent(desc.digest, "Pushing", desc.size, sent))

    repo.upload_blob(desc.digest, desc.size, chunks, chunk_size=chunk_size)
    return BlobEvent(desc.digest, "Pushed", desc.size)
