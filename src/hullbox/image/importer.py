"""``hullbox import``: one root filesystem tar becomes a one-layer image.

The source is read once. Its bytes, as given, become the layer blob while they
are decompressed, hashed (the DiffID) and unpacked. The layer's name (its chain
ID, which for a single layer is its DiffID) is known only at the end, so it is
unpacked into a staging directory and named last. Nothing enters the store
before the whole archive has been read and unpacked; the final commits happen
under the store lock and are undone if recording the image fails, so a failed
import leaves no row, no layer and no blob behind.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, BinaryIO

from hullbox.errors import InvalidArgument, LayerError, StoreError
from hullbox.image.changes import apply_changes
from hullbox.image.compression import (
    Compression,
    HashingReader,
    decompressed,
    drain,
    peek_compression,
)
from hullbox.image.tarlayer import unpack_layer
from hullbox.oci import reference as refs
from hullbox.oci.digest import sha256_digest
from hullbox.oci.image import (
    MEDIA_CONFIG,
    MEDIA_LAYER,
    MEDIA_LAYER_GZIP,
    MEDIA_LAYER_ZSTD,
    ContainerConfig,
    Descriptor,
    ImageConfig,
    Manifest,
    canonical_json,
)
from hullbox.store.images import ImageRecord, LayerRecord, add_image
from hullbox.store.store import BlobWriter, LayerStaging, Store

_CHUNK = 1 << 20
_MEDIA_TYPES = {
    Compression.NONE: MEDIA_LAYER,
    Compression.GZIP: MEDIA_LAYER_GZIP,
    Compression.ZSTD: MEDIA_LAYER_ZSTD,
}


def import_rootfs(
    store: Store,
    source: str | Path | BinaryIO,
    reference: str | None = None,
    *,
    changes: list[str] | None = None,
    message: str = "",
    platform: tuple[str, ...] = ("linux", "amd64"),
) -> ImageRecord:
    """Import a root filesystem tar (plain, gzip or zstd, sniffed) from a path,
    ``"-"`` for stdin, or a binary file object; tag it ``reference`` when given.

    ``changes`` are Dockerfile instructions as ``docker import --change`` takes
    them; like Docker, the config is otherwise empty.
    """
    tag = _tag(reference)
    config = apply_changes(ContainerConfig(), changes or [])
    with contextlib.ExitStack() as stack:
        raw, label = _open_source(source, stack)
        blob = stack.enter_context(store.blob_writer())
        staging = stack.enter_context(store.stage_layer())
        layer = _unpack(raw, label, blob, staging)
        image = _image_config(config, layer.diff_id, message, platform)
        config_bytes = canonical_json(image.to_json())
        manifest = Manifest(
            config=Descriptor(MEDIA_CONFIG, sha256_digest(config_bytes), len(config_bytes)),
            layers=[Descriptor(_MEDIA_TYPES[layer.compression], layer.digest, layer.blob_size)],
        )
        manifest_bytes = canonical_json(manifest.to_json())
        with store.lock(), contextlib.ExitStack() as undo:
            try:
                _commit_blob(store, undo, blob, layer.digest)
                if staging.commit(layer.diff_id):
                    undo.callback(
                        shutil.rmtree, store.layer_dir(layer.diff_id).parent, ignore_errors=True
                    )
                _put_blob(store, undo, config_bytes)
                _put_blob(store, undo, manifest_bytes)
            except OSError as exc:
                raise StoreError(f"import {label}: {exc.strerror or exc}") from exc
            record = add_image(
                store,
                config_digest=manifest.config.digest,
                manifest_digest=sha256_digest(manifest_bytes),
                size=layer.size,
                created=image.created,
                layers=[LayerRecord(layer.diff_id, layer.diff_id, None, layer.size)],
                tags=[tag] if tag else [],
            )
            undo.pop_all()  # recorded: the files are the image's now
    return record


def _tag(reference: str | None) -> str | None:
    """The normalised tag name, checked before any byte is read."""
    if reference is None:
        return None
    ref = refs.parse(reference)
    if ref.digest is not None:
        raise InvalidArgument(f"import as {reference!r}: a digest cannot be a tag; give name[:tag]")
    return str(ref)


def _open_source(
    source: str | Path | BinaryIO, stack: contextlib.ExitStack
) -> tuple[IO[bytes], str]:
    if source == "-":
        return sys.stdin.buffer, "stdin"
    if isinstance(source, str) and source.startswith(("http://", "https://")):
        raise InvalidArgument(f"import {source}: importing from a URL is not supported")
    if isinstance(source, str | Path):
        try:
            return stack.enter_context(open(source, "rb")), str(source)
        except OSError as exc:
            raise InvalidArgument(f"import {source}: {exc.strerror or exc}") from exc
    return source, getattr(source, "name", None) or "the import stream"


class _Unpacked:
    """What one pass over the source learnt."""

    def __init__(
        self, diff_id: str, digest: str, blob_size: int, size: int, compression: Compression
    ) -> None:
        self.diff_id = diff_id
        self.digest = digest
        self.blob_size = blob_size
        self.size = size
        self.compression = compression


def _unpack(raw: IO[bytes], label: str, blob: BlobWriter, staging: LayerStaging) -> _Unpacked:
    """source -> blob (as given) -> decompress -> hash -> unpack, in one pass."""
    given = HashingReader(raw, blob.write)
    try:
        sniffed, compression = peek_compression(io.BufferedReader(given, _CHUNK))
        tar = HashingReader(decompressed(sniffed, compression, label))
        tar_stream = io.BufferedReader(tar, _CHUNK)
        size = unpack_layer(tar_stream, staging.diff_dir)
        # tar stops at its end marker; both digests cover every byte.
        drain(tar_stream)
        drain(sniffed)
    except OSError as exc:
        raise LayerError(f"import {label}: {exc.strerror or exc}") from exc
    return _Unpacked(tar.digest, given.digest, given.size, size, compression)


def _image_config(
    config: ContainerConfig, diff_id: str, message: str, platform: tuple[str, ...]
) -> ImageConfig:
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    history: dict[str, str] = {"created": created, "created_by": "hullbox import"}
    if message:
        history["comment"] = message
    return ImageConfig(
        architecture=platform[1],
        os=platform[0],
        variant=platform[2] if len(platform) > 2 else "",
        created=created,
        config=config,
        diff_ids=[diff_id],
        history=[history],
    )


def _commit_blob(store: Store, undo: contextlib.ExitStack, writer: BlobWriter, digest: str) -> None:
    """Commit a streamed blob; only a blob this import added is undone (an
    existing one may belong to another image)."""
    existed = store.has_blob(digest)
    writer.commit()
    if not existed:
        undo.callback(_unlink, store.blob_path(digest))


def _put_blob(store: Store, undo: contextlib.ExitStack, data: bytes) -> None:
    digest = sha256_digest(data)
    if store.has_blob(digest):
        return
    store.put_blob(data)
    undo.callback(_unlink, store.blob_path(digest))


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
