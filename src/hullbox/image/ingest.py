"""Bringing an image whose blobs are at hand (an archive, an OCI layout) into
the store: each layer blob is copied in while it is hashed, decompressed,
hashed again (its DiffID) and unpacked, in one pass; nothing is recorded until
every digest is checked, and the final renames happen under the store lock and
are undone together if one fails, as ``hullbox pull`` does for registry blobs.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import IO

from hullbox.errors import LayerError, StoreError
from hullbox.image.compression import HashingReader, decompressed, drain, peek_compression
from hullbox.image.tarlayer import unpack_layer
from hullbox.oci.digest import chain_ids, sha256_digest
from hullbox.oci.image import Descriptor, ImageConfig, Manifest
from hullbox.store import images as image_db
from hullbox.store.images import ImageRecord, LayerRecord
from hullbox.store.store import BlobWriter, LayerStaging, Store, remove_file

_CHUNK = 1 << 20

#: Opens a blob of the source by its descriptor (a file object, or a context
#: manager that gives one).
BlobOpener = Callable[[Descriptor], AbstractContextManager[IO[bytes]]]


@dataclass
class _Layer:
    desc: Descriptor
    diff_id: str
    chain_id: str
    parent: str | None
    size: int = 0
    writer: BlobWriter | None = None  # set when the blob is new to the store
    staging: LayerStaging | None = None  # set when the layer is new to the store


def ingest_image(
    store: Store,
    manifest_bytes: bytes,
    config_bytes: bytes,
    open_blob: BlobOpener,
    *,
    tags: list[str],
    source: str,
) -> ImageRecord:
    """Store one image (its manifest and config given as bytes, its layers
    through ``open_blob``) and tag it; ``source`` names the archive in errors."""
    manifest = Manifest.from_json(_json(manifest_bytes, f"{source}: manifest"))
    config = ImageConfig.from_json(_json(config_bytes, f"{source}: image config"))
    if len(config.diff_ids) != len(manifest.layers):
        raise LayerError(
            f"{source}: the image has {len(manifest.layers)} layers but its config lists "
            f"{len(config.diff_ids)}; the archive is inconsistent"
        )
    chains = chain_ids(config.diff_ids)
    layers = [
        _Layer(desc, diff_id, chain, chains[i - 1] if i else None)
        for i, (desc, diff_id, chain) in enumerate(
            zip(manifest.layers, config.diff_ids, chains, strict=True))
    ]
    with contextlib.ExitStack() as stack:
        for layer in layers:
            _fetch(store, stack, layer, open_blob, source)
        return _commit(store, layers, manifest_bytes, config_bytes, config.created, tags, source)


def _json(data: bytes, what: str) -> dict[str, object]:
    import json

    try:
        value = json.loads(data)
    except ValueError as exc:
        raise LayerError(f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise LayerError(f"{what} is not a JSON object")
    return value


def _fetch(store: Store, stack: contextlib.ExitStack, layer: _Layer,
           open_blob: BlobOpener, source: str) -> None:
    """Copy the blob into the store (unless there) and unpack it (unless the
    layer is there), checking its digest and DiffID."""
    have_blob = store.has_blob(layer.desc.digest)
    if store.has_layer(layer.chain_id):
        layer.size = _layer_size(store, layer.chain_id)
        if have_blob:
            return
    else:
        layer.staging = stack.enter_context(store.stage_layer())
    label = f"{source}: layer {layer.desc.digest[:19]}"
    if not have_blob:
        layer.writer = stack.enter_context(store.blob_writer())
    sink = layer.writer.write if layer.writer is not None else None
    try:
        with open_blob(layer.desc) as raw:
            given = HashingReader(raw, sink)
            sniffed, compression = peek_compression(io.BufferedReader(given, _CHUNK))
            tar = HashingReader(decompressed(sniffed, compression, label))
            stream = io.BufferedReader(tar, _CHUNK)
            if layer.staging is not None:
                layer.size = unpack_layer(stream, layer.staging.diff_dir)
            drain(stream)
            drain(sniffed)
    except OSError as exc:
        raise LayerError(f"{label}: {exc.strerror or exc}") from exc
    if given.digest != layer.desc.digest:
        raise LayerError(f"{label}: its content has digest {given.digest[:19]}, not the one "
                         "its manifest names; the archive is corrupt")
    if tar.digest != layer.diff_id:
        raise LayerError(f"{label}: it unpacks to {tar.digest[:19]}, not the DiffID "
                         f"{layer.diff_id[:19]} its config names; the archive is corrupt")


def _commit(store: Store, layers: list[_Layer], manifest_bytes: bytes, config_bytes: bytes,
            created: str, tags: list[str], source: str) -> ImageRecord:
    with store.lock(), contextlib.ExitStack() as undo:
        try:
            for layer in layers:
                if layer.writer is not None and not store.has_blob(layer.desc.digest):
                    layer.writer.commit()
                    undo.callback(remove_file, store.blob_path(layer.desc.digest))
                if layer.staging is not None and layer.staging.commit(layer.chain_id):
                    undo.callback(shutil.rmtree, store.layer_dir(layer.chain_id).parent,
                                  ignore_errors=True)
            store.put_new_blobs([config_bytes, manifest_bytes], undo)
        except OSError as exc:
            raise StoreError(f"store image from {source}: {exc.strerror or exc}") from exc
        record = image_db.add_image(
            store,
            config_digest=sha256_digest(config_bytes),
            manifest_digest=sha256_digest(manifest_bytes),
            size=sum(layer.size for layer in layers),
            created=created,
            layers=[LayerRecord(x.chain_id, x.diff_id, x.parent, x.size) for x in layers],
            tags=tags,
        )
        undo.pop_all()
    return record


def _layer_size(store: Store, chain_id: str) -> int:
    found = image_db.layer_chain(store, chain_id)
    return found[0].size if found else 0


