"""``hullbox load``: images from a ``docker save`` tarball (the classic layout
and Docker 25's, which is also an OCI layout), an OCI layout directory, or an
OCI layout tarball. The archive is only read, never extracted: each file is
looked up by name, so hostile paths in it cannot write anywhere."""

from __future__ import annotations

import contextlib
import json
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from hullbox.errors import InvalidArgument, InvalidReference, LayerError
from hullbox.image.compression import Compression, sniff
from hullbox.image.ingest import BlobOpener, ingest_image
from hullbox.oci import reference as refs
from hullbox.oci.digest import sha256_digest
from hullbox.oci.image import MEDIA_CONFIG, MEDIA_LAYER, MEDIA_MANIFEST, Descriptor
from hullbox.store.images import ImageRecord
from hullbox.store.store import Store

_LAYER_TYPES = {
    Compression.NONE: MEDIA_LAYER,
    Compression.GZIP: MEDIA_LAYER + "+gzip",
    Compression.ZSTD: MEDIA_LAYER + "+zstd",
}
_INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
                "application/vnd.docker.distribution.manifest.list.v2+json")
REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"


#: ``load --platform``: true for the ``{"os", "architecture", "variant"}`` wanted
PlatformFilter = Callable[[dict[str, Any] | None], bool]


@dataclass(frozen=True)
class LoadedImage:
    """One image a load stored, and the names it was tagged with."""

    image: ImageRecord
    tags: tuple[str, ...]


class _Files:
    """Read-only access by name to the files of an archive or a directory."""

    def __init__(self, label: str, tar: tarfile.TarFile | None, root: Path | None) -> None:
        self.label = label
        self._tar = tar
        self._root = root
        self._members: dict[str, tarfile.TarInfo] = {}
        if tar is not None:
            for member in tar.getmembers():
                self._members[_clean(member.name)] = member

    def exists(self, name: str) -> bool:
        name = _clean(name)
        if self._tar is not None:
            return name in self._members
        assert self._root is not None
        return (self._root / name).is_file()

    @contextlib.contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        clean = _clean(name)
        if not clean or clean.startswith("../"):
            raise LayerError(f"{self.label}: refusing the path {name!r}: it leaves the archive")
        if self._tar is not None:
            member = self._members.get(clean)
            handle = self._tar.extractfile(member) if member is not None else None
            if handle is None:
                raise LayerError(f"{self.label}: {name} is missing from the archive")
            with handle:
                yield handle
            return
        assert self._root is not None
        try:
            with open(self._root / clean, "rb") as file:
                yield file
        except FileNotFoundError:
            raise LayerError(f"{self.label}: {name} is missing from the layout") from None

    def read(self, name: str) -> bytes:
        with self.open(name) as handle:
            return handle.read()

    def json(self, name: str) -> Any:
        try:
            return json.loads(self.read(name))
        except ValueError as exc:
            raise LayerError(f"{self.label}: {name} is not valid JSON: {exc}") from exc


def _clean(name: str) -> str:
    parts: list[str] = []
    for part in PurePosixPath(name).parts:
        if part in ("", ".", "/"):
            continue
        if part == "..":
            if not parts:
                return "../"
            parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


def load(store: Store, source: Path, label: str,
         wanted: PlatformFilter | None = None) -> list[LoadedImage]:
    """Store every image of the archive or layout at ``source`` (a directory,
    or an uncompressed tar file the caller has prepared); with ``wanted``
    only the images of that platform (maybe none)."""
    if source.is_dir():
        files = _Files(label, None, source)
        return _load_files(store, files, wanted)
    try:
        tar = tarfile.open(source, "r:")  # noqa: SIM115 - closed by the with below
    except (tarfile.TarError, OSError) as exc:
        raise InvalidArgument(
            f"{label} is not an image archive (not a tar file: {exc}); give a file made "
            "by docker save, podman save or hullbox save"
        ) from exc
    with tar:
        return _load_files(store, _Files(label, tar, None), wanted)


def _load_files(store: Store, files: _Files, wanted: PlatformFilter | None) -> list[LoadedImage]:
    if files.exists("manifest.json"):
        return _load_docker_archive(store, files, wanted)
    if files.exists("index.json"):
        return _load_oci_layout(store, files, wanted)
    raise InvalidArgument(
        f"{files.label} is not an image archive: it has neither manifest.json (docker "
        "save) nor index.json (an OCI layout)"
    )


def _of_platform(config_bytes: bytes, wanted: PlatformFilter | None) -> bool:
    if wanted is None:
        return True
    try:
        config = json.loads(config_bytes)
    except ValueError:
        return False
    return isinstance(config, dict) and wanted(config)


def _load_docker_archive(store: Store, files: _Files,
                         wanted: PlatformFilter | None) -> list[LoadedImage]:
    entries = files.json("manifest.json")
    if not isinstance(entries, list) or not entries:
        raise LayerError(f"{files.label}: manifest.json lists no image")
    loaded = []
    for entry in entries:
        if not isinstance(entry, dict) or "Config" not in entry:
            raise LayerError(f"{files.label}: manifest.json has an entry without Config")
        config_bytes = files.read(entry["Config"])
        if not _of_platform(config_bytes, wanted):
            continue
        diff_ids = _diff_ids(config_bytes, files.label)
        layer_names = list(entry.get("Layers") or [])
        if len(layer_names) != len(diff_ids):
            raise LayerError(f"{files.label}: {entry['Config']} lists {len(diff_ids)} layers "
                             f"but manifest.json {len(layer_names)}")
        descriptors = {}
        layers = []
        for name, diff_id in zip(layer_names, diff_ids, strict=True):
            desc = _layer_descriptor(files, name, diff_id)
            descriptors[desc.digest] = name
            layers.append(desc)
        manifest = {
            "schemaVersion": 2,
            "mediaType": MEDIA_MANIFEST,
            "config": Descriptor(MEDIA_CONFIG, sha256_digest(config_bytes),
                                 len(config_bytes)).to_json(),
            "layers": [d.to_json() for d in layers],
        }
        tags = _tags(entry.get("RepoTags") or [], files.label)
        record = ingest_image(
            store, json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode(),
            config_bytes, _opener(files, descriptors), tags=tags, source=files.label,
        )
        loaded.append(LoadedImage(record, tuple(tags)))
    return loaded


def _opener(files: _Files, names: dict[str, str]) -> BlobOpener:
    def open_layer(desc: Descriptor) -> contextlib.AbstractContextManager[IO[bytes]]:
        return files.open(names[desc.digest])

    return open_layer


def _diff_ids(config_bytes: bytes, label: str) -> list[str]:
    try:
        config = json.loads(config_bytes)
        return list(config["rootfs"]["diff_ids"])
    except (ValueError, KeyError, TypeError) as exc:
        raise LayerError(f"{label}: the image config has no rootfs.diff_ids") from exc


def _layer_descriptor(files: _Files, name: str, diff_id: str) -> Descriptor:
    """A descriptor of a layer file as it is in the archive. An uncompressed
    layer's digest is its DiffID (checked while loading); a compressed one is
    hashed here first."""
    import hashlib

    with files.open(name) as handle:
        head = handle.read(512)
        compression = sniff(head)
        size = len(head)
        if compression is Compression.NONE:
            while chunk := handle.read(1 << 20):
                size += len(chunk)
            return Descriptor(_LAYER_TYPES[compression], diff_id, size)
        hasher = hashlib.sha256(head)
        while chunk := handle.read(1 << 20):
            hasher.update(chunk)
            size += len(chunk)
    return Descriptor(_LAYER_TYPES[compression], "sha256:" + hasher.hexdigest(), size)


def _tags(names: list[str], label: str) -> list[str]:
    tags = []
    for name in names:
        try:
            tags.append(str(refs.parse(name)))
        except InvalidReference as exc:
            raise LayerError(f"{label}: it names an image {name!r} that is not a valid "
                             f"reference ({exc})") from exc
    return tags


def _blob_name(digest: str) -> str:
    algorithm, _, hexpart = digest.partition(":")
    if not hexpart or "/" in hexpart or algorithm != "sha256":
        raise LayerError(f"unsupported digest {digest!r}")
    return f"blobs/{algorithm}/{hexpart}"


def _load_oci_layout(store: Store, files: _Files,
                     wanted: PlatformFilter | None) -> list[LoadedImage]:
    index = files.json("index.json")
    loaded = []
    for entry in index.get("manifests") or []:
        tags = _layout_tags(entry.get("annotations") or {}, files.label)
        manifest_desc = _pick_platform(files, entry, wanted)
        if manifest_desc is None:
            continue
        manifest_bytes = files.read(_blob_name(manifest_desc["digest"]))
        if sha256_digest(manifest_bytes) != manifest_desc["digest"]:
            raise LayerError(f"{files.label}: manifest {manifest_desc['digest'][:19]} does not "
                             "match its digest; the layout is corrupt")
        manifest = json.loads(manifest_bytes)
        config_bytes = files.read(_blob_name(manifest["config"]["digest"]))
        if not _of_platform(config_bytes, wanted):
            continue
        record = ingest_image(store, manifest_bytes, config_bytes,
                              lambda d: files.open(_blob_name(d.digest)),
                              tags=tags, source=files.label)
        loaded.append(LoadedImage(record, tuple(tags)))
    if not loaded and not wanted:
        raise LayerError(f"{files.label}: index.json lists no image")
    return loaded


def _pick_platform(files: _Files, entry: dict[str, Any],
                   wanted: PlatformFilter | None) -> dict[str, Any] | None:
    """The image manifest an index entry stands for: itself, or through a
    nested index, the ``wanted`` one (None when there is none), else the
    linux/amd64 one (else the first)."""
    while entry.get("mediaType") in _INDEX_TYPES:
        nested = files.json(_blob_name(entry["digest"]))
        children = nested.get("manifests") or []
        if not children:
            raise LayerError(f"{files.label}: index {entry['digest'][:19]} lists no image")
        if wanted is not None:
            found = next((c for c in children if wanted(c.get("platform"))), None)
            if found is None:
                return None
            entry = found
            continue
        entry = next((c for c in children
                      if (c.get("platform") or {}).get("architecture") == "amd64"
                      and (c.get("platform") or {}).get("os") == "linux"), children[0])
    return entry


def _layout_tags(annotations: dict[str, str], label: str) -> list[str]:
    """A layout names an image by a full reference (containerd's annotation, or
    a ref.name that is one); a bare ref.name like "latest" names nothing."""
    for key in (CONTAINERD_NAME, REF_NAME):
        name = annotations.get(key, "")
        if name and ("/" in name or ":" in name) and not name.startswith(":"):
            with contextlib.suppress(InvalidReference):
                return [str(refs.parse(name))]
    return []
