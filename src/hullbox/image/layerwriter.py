"""New layers and images made on this host: an overlay upper dir becomes a
layer blob (an uncompressed tar, so its digest is its DiffID, hashed while it
is written) and an unpacked layer directory; a config plus layers becomes an
image record.

What is written is named by content, and the final renames happen under the
store lock, together with whatever the caller must record with them
(``on_commit``), so a garbage collection running at the same time either sees
the new layer referenced or does not see it at all.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hullbox.errors import LayerError, StoreError
from hullbox.image.packlayer import pack_layer
from hullbox.image.tarlayer import unpack_layer
from hullbox.oci.digest import sha256_digest
from hullbox.oci.image import (
    MEDIA_CONFIG,
    MEDIA_LAYER,
    Descriptor,
    ImageConfig,
    Manifest,
    canonical_json,
)
from hullbox.store.images import ImageRecord, LayerRecord, add_image
from hullbox.store.store import Store

_CHUNK = 1 << 20


@dataclass(frozen=True)
class WrittenLayer:
    """A layer now in the store: its blob and its unpacked directory."""

    descriptor: Descriptor
    diff_id: str
    chain_id: str
    parent: str | None
    size: int  # bytes of regular files, as the images table counts

    @property
    def record(self) -> LayerRecord:
        return LayerRecord(self.chain_id, self.diff_id, self.parent, self.size)


def now_rfc3339() -> str:
    """The timestamp form image configs and history carry."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_id_of(parent: str | None, diff_id: str) -> str:
    """image-spec's ChainID of ``diff_id`` over the stack ``parent``."""
    return diff_id if parent is None else sha256_digest(f"{parent} {diff_id}".encode())


def write_layer(store: Store, upper: Path, parent_chain: str | None, *,
                exclude: Collection[str] = (), take_upper: bool = False,
                on_commit: Callable[[WrittenLayer], None] | None = None) -> WrittenLayer:
    """Make a layer of the overlay upper dir ``upper`` on top of the layer
    stack ``parent_chain``.

    With ``take_upper`` the upper dir itself becomes the unpacked layer (a
    rename: it is already in overlay form); otherwise the tar is unpacked into
    a fresh directory and ``upper`` is left as it was (a running container's).
    ``on_commit`` runs under the store lock once the layer is in place.
    """
    with store.blob_writer() as blob:
        stats = pack_layer(upper, blob, exclude=exclude)
        with store.lock():
            try:
                digest = blob.commit()
                chain_id = chain_id_of(parent_chain, digest)
                if not store.has_layer(chain_id):
                    if take_upper:
                        _adopt(upper, store.layer_dir(chain_id))
                    else:
                        _unpack_blob(store, digest, chain_id)
            except OSError as exc:
                raise StoreError(f"store a layer of {upper}: {exc.strerror or exc}") from exc
            layer = WrittenLayer(Descriptor(MEDIA_LAYER, digest, blob.size), digest, chain_id,
                                 parent_chain, stats.size)
            if on_commit is not None:
                on_commit(layer)
    return layer


def _adopt(upper: Path, final: Path) -> None:
    final.parent.mkdir(mode=0o700)
    try:
        os.rename(upper, final)
    except OSError:
        shutil.rmtree(final.parent, ignore_errors=True)
        raise


def layer_from_blob(store: Store, digest: str, chain_id: str) -> None:
    """Unpack the stored layer blob ``digest`` as the layer ``chain_id`` (the
    same content over another parent); call under the store lock."""
    _unpack_blob(store, digest, chain_id)


def _unpack_blob(store: Store, digest: str, chain_id: str) -> None:
    path = store.blob_path(digest)
    with store.stage_layer() as staging, open(path, "rb", buffering=_CHUNK) as tar:
        unpack_layer(tar, staging.diff_dir)
        staging.commit(chain_id)


def write_image(store: Store, config: ImageConfig, layers: list[Descriptor],
                layer_records: list[LayerRecord], tags: list[str]) -> ImageRecord:
    """Store the config and manifest blobs and record the image (tags moved
    to it). ``layer_records`` are the stack's layers, bottom first."""
    if len(layers) != len(config.diff_ids):
        raise LayerError(
            f"image has {len(config.diff_ids)} diff_ids but {len(layers)} layer blobs")
    config_bytes = canonical_json(config.to_json())
    manifest = Manifest(
        config=Descriptor(MEDIA_CONFIG, sha256_digest(config_bytes), len(config_bytes)),
        layers=list(layers),
    )
    manifest_bytes = canonical_json(manifest.to_json())
    with store.lock():
        for data in (config_bytes, manifest_bytes):
            if not store.has_blob(sha256_digest(data)):
                store.put_blob(data)
        return add_image(
            store,
            config_digest=manifest.config.digest,
            manifest_digest=sha256_digest(manifest_bytes),
            size=sum(r.size for r in layer_records),
            created=config.created,
            layers=layer_records,
            tags=tags,
        )
