"""``hullbox save``: images to a ``docker save`` tarball or an OCI layout.

The docker-archive is the layout Docker 25 writes: an OCI layout (oci-layout,
index.json, blobs/sha256/...) plus manifest.json and repositories, so both
`docker load` (any version) and `podman load` read it. Its layers are the
uncompressed tars (their digests are the DiffIDs), as ``docker load`` expects.
An OCI layout (``oci-dir``, ``oci-archive``) keeps the blobs as stored, so the
manifests and their digests stay those of the registry.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from hullbox.image.compression import Compression, decompressed, peek_compression
from hullbox.oci import reference as refs
from hullbox.oci.digest import digest_hex, sha256_digest
from hullbox.oci.image import MEDIA_CONFIG, MEDIA_LAYER, MEDIA_MANIFEST, Manifest
from hullbox.store.store import Store

INDEX_MEDIA = "application/vnd.oci.image.index.v1+json"
REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"
_LAYOUT = b'{"imageLayoutVersion":"1.0.0"}'


@dataclass(frozen=True)
class SavedImage:
    """One image to save: its ID, manifest digest and the names to give it."""

    image_id: str
    manifest_digest: str
    tags: tuple[str, ...]  # normalised references


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def _index_entry(digest: str, size: int, tag: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"mediaType": MEDIA_MANIFEST, "digest": digest, "size": size}
    if tag:
        ref = refs.parse(tag)
        entry["annotations"] = {CONTAINERD_NAME: str(ref), REF_NAME: ref.tag or "latest"}
    return entry


class _TarOut:
    """Adds files to a tar stream; each blob once."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self.tar = tar
        self.written: set[str] = set()

    def add_bytes(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode = len(data), 0o644
        self.tar.addfile(info, io.BytesIO(data))

    def add_file(self, name: str, path: Path) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mode = path.stat().st_size, 0o644
        with open(path, "rb") as handle:
            self.tar.addfile(info, handle)

    def add_blob_bytes(self, data: bytes) -> str:
        digest = sha256_digest(data)
        name = f"blobs/sha256/{digest_hex(digest)}"
        if name not in self.written:
            self.written.add(name)
            self.add_bytes(name, data)
        return name


@contextlib.contextmanager
def _uncompressed(store: Store, digest: str) -> Iterator[Path]:
    """A path to the layer blob as an uncompressed tar: the blob itself when
    it is one, else a temporary decompressed copy."""
    path = store.blob_path(digest)
    with open(path, "rb") as raw:
        reader, compression = peek_compression(raw)
        if compression is Compression.NONE:
            yield path
            return
        store.tmp_dir.mkdir(parents=True, exist_ok=True)
        import tempfile

        with tempfile.NamedTemporaryFile(dir=store.tmp_dir, prefix=".save-") as out:
            shutil.copyfileobj(decompressed(reader, compression, digest[:19]), out, 1 << 20)
            out.flush()
            yield Path(out.name)


def write_docker_archive(store: Store, images: list[SavedImage], out: IO[bytes]) -> None:
    """A docker-archive of ``images`` to the binary stream ``out``."""
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        writer = _TarOut(tar)
        manifest_json: list[dict[str, Any]] = []
        index: list[dict[str, Any]] = []
        repositories: dict[str, dict[str, str]] = {}
        for image in images:
            config_bytes = store.read_blob(image.image_id)
            config = json.loads(config_bytes)
            config_name = writer.add_blob_bytes(config_bytes)
            layer_names, layer_descs = [], []
            for diff_id in config["rootfs"]["diff_ids"]:
                name = f"blobs/sha256/{digest_hex(diff_id)}"
                layer_names.append(name)
                stored = _stored_layer_digest(store, image, diff_id)
                with _uncompressed(store, stored) as path:
                    size = path.stat().st_size
                    if name not in writer.written:
                        writer.written.add(name)
                        writer.add_file(name, path)
                layer_descs.append({"mediaType": MEDIA_LAYER, "digest": diff_id, "size": size})
            manifest = _canonical({
                "schemaVersion": 2, "mediaType": MEDIA_MANIFEST,
                "config": {"mediaType": MEDIA_CONFIG, "digest": image.image_id,
                           "size": len(config_bytes)},
                "layers": layer_descs,
            })
            writer.add_blob_bytes(manifest)
            familiar = [refs.parse(t).familiar for t in image.tags]
            manifest_json.append({"Config": config_name, "RepoTags": familiar or None,
                                  "Layers": layer_names})
            for tag in image.tags or (None,):
                index.append(_index_entry(sha256_digest(manifest), len(manifest), tag))
            for tag in image.tags:
                ref = refs.parse(tag)
                repositories.setdefault(ref.familiar_name, {})[ref.tag or "latest"] = (
                    digest_hex(layer_descs[-1]["digest"]) if layer_descs else "")
        writer.add_bytes("oci-layout", _LAYOUT)
        writer.add_bytes("index.json", _canonical(
            {"schemaVersion": 2, "mediaType": INDEX_MEDIA, "manifests": index}))
        writer.add_bytes("manifest.json", json.dumps(manifest_json).encode())
        if repositories:
            writer.add_bytes("repositories", json.dumps(repositories).encode())


def _stored_layer_digest(store: Store, image: SavedImage, diff_id: str) -> str:
    """The digest of the blob the store keeps for the layer ``diff_id``."""
    manifest = Manifest.from_json(json.loads(store.read_blob(image.manifest_digest)))
    config = json.loads(store.read_blob(image.image_id))
    position = list(config["rootfs"]["diff_ids"]).index(diff_id)
    return str(manifest.layers[position].digest)


def _layout_blobs(store: Store, image: SavedImage) -> list[str]:
    manifest = Manifest.from_json(json.loads(store.read_blob(image.manifest_digest)))
    return [image.manifest_digest, manifest.config.digest,
            *(layer.digest for layer in manifest.layers)]


def _layout_index(store: Store, images: list[SavedImage]) -> bytes:
    entries = []
    for image in images:
        size = store.blob_path(image.manifest_digest).stat().st_size
        for tag in image.tags or (None,):
            entries.append(_index_entry(image.manifest_digest, size, tag))
    return _canonical({"schemaVersion": 2, "mediaType": INDEX_MEDIA, "manifests": entries})


def write_oci_dir(store: Store, images: list[SavedImage], target: Path) -> None:
    """An OCI image layout directory (made if missing; blobs already there are
    kept, and index.json is replaced)."""
    blobs = target / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    for image in images:
        for digest in _layout_blobs(store, image):
            dest = blobs / digest_hex(digest)
            if not dest.exists():
                partial = dest.with_name(f".{dest.name}.partial")
                shutil.copyfile(store.blob_path(digest), partial)
                os.chmod(partial, 0o644)
                os.replace(partial, dest)
    (target / "oci-layout").write_bytes(_LAYOUT)
    partial_index = target / ".index.json.partial"
    partial_index.write_bytes(_layout_index(store, images))
    os.replace(partial_index, target / "index.json")


def write_oci_archive(store: Store, images: list[SavedImage], out: IO[bytes]) -> None:
    """The same layout as one tar stream."""
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        writer = _TarOut(tar)
        writer.add_bytes("oci-layout", _LAYOUT)
        for image in images:
            for digest in _layout_blobs(store, image):
                name = f"blobs/sha256/{digest_hex(digest)}"
                if name not in writer.written:
                    writer.written.add(name)
                    writer.add_file(name, store.blob_path(digest))
        writer.add_bytes("index.json", _layout_index(store, images))
