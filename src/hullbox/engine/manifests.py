"""``hullbox manifest``: local manifest lists made from images in a registry,
annotated, inspected and pushed, as ``docker manifest`` does.

The registry package (and httpx) is imported inside the methods that talk to
a registry, as engine.distribution does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hullbox.errors import Conflict, InvalidArgument, ManifestListNotFound
from hullbox.oci import reference
from hullbox.store import manifest_lists as lists
from hullbox.store.manifest_lists import StoredEntry, StoredList

if TYPE_CHECKING:
    from hullbox.registry.manifest_list import ListEntry
    from hullbox.store.store import Store


# GOOS/GOARCH pairs docker's `manifest annotate` accepts.
VALID_OS_ARCH = frozenset({
    ("darwin", "386"), ("darwin", "amd64"), ("darwin", "arm"), ("darwin", "arm64"),
    ("dragonfly", "amd64"), ("freebsd", "386"), ("freebsd", "amd64"), ("freebsd", "arm"),
    ("linux", "386"), ("linux", "amd64"), ("linux", "arm"), ("linux", "arm64"),
    ("linux", "ppc64le"), ("linux", "mips64"), ("linux", "mips64le"),
    ("linux", "riscv64"), ("linux", "s390x"), ("netbsd", "386"), ("netbsd", "amd64"),
    ("netbsd", "arm"), ("openbsd", "386"), ("openbsd", "amd64"), ("openbsd", "arm"),
    ("plan9", "386"), ("plan9", "amd64"), ("solaris", "amd64"), ("windows", "386"),
    ("windows", "amd64"), ("windows", "arm64"),
})


@dataclass(frozen=True)
class Annotation:
    """What ``manifest annotate`` sets; None leaves a field as it is."""

    os: str | None = None
    arch: str | None = None
    variant: str | None = None
    os_version: str | None = None
    os_features: tuple[str, ...] = ()


@dataclass(frozen=True)
class Inspected:
    """What ``manifest inspect`` shows: one image, or a list of them."""

    ref: str
    entries: list[StoredEntry]
    is_list: bool
    raw: bytes  # the document itself (an image manifest or the list)


class ManifestService:
    """Local manifest lists of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create(self, name: str, images: list[str], *, amend: bool = False,
               insecure: bool = False) -> str:
        """A local list ``name`` of ``images`` (each fetched from its
        registry, which must be the list's); returns the list's reference."""
        from hullbox.registry.client import RegistryClient
        from hullbox.registry.manifest_list import image_entry
        from hullbox.registry.repository import Repository

        target = _list_ref(name)
        existing = lists.load(self.store, str(target))
        if existing is not None and not amend:
            raise Conflict(f"manifest list {target.familiar} exists already; add to it with "
                           "--amend, or remove it first: hullbox manifest rm "
                           f"{target.familiar}")
        refs = [reference.parse(image) for image in images]
        for ref in refs:
            if ref.domain != target.domain:
                raise InvalidArgument(
                    f"cannot use source images from a different registry than the target "
                    f"image: {ref.domain} != {target.domain}")
        fetched: list[ListEntry] = []
        with RegistryClient(target.domain, insecure=insecure) as client:
            for ref in refs:
                fetched.append(image_entry(Repository(client, ref.path), ref))
        with self.store.lock():
            stored = lists.load(self.store, str(target))
            if stored is not None and not amend:  # made by another create meanwhile
                raise Conflict(f"manifest list {target.familiar} exists already; add to it "
                               "with --amend")
            entries = {e.ref: e for e in (stored.entries if stored else [])}
            for item in fetched:
                entries[item.ref] = StoredEntry(item.ref, item.media_type, item.digest,
                                                item.size, item.platform, item.raw)
            # In the order docker lists them: by its file name of each reference.
            ordered = sorted(entries.values(),
                             key=lambda e: e.ref.replace(":", "-").replace("/", "_"))
            lists.save(self.store, StoredList(str(target), ordered))
        return target.familiar

    def annotate(self, name: str, image: str, note: Annotation) -> None:
        """Set the platform fields of one image of a local list."""
        target = _list_ref(name)
        with self.store.lock():
            stored = self._load(target)
            entry = _find(stored, image)
            platform = dict(entry.platform)
            for key, value in (("os", note.os), ("architecture", note.arch),
                               ("variant", note.variant), ("os.version", note.os_version)):
                if value is not None:
                    platform[key] = value
            if note.os_features:
                platform["os.features"] = list(note.os_features)
            pair = (str(platform.get("os", "")), str(platform.get("architecture", "")))
            if pair not in VALID_OS_ARCH:
                raise InvalidArgument(
                    f"manifest entry for image has unsupported os/arch combination: "
                    f"{pair[0]}/{pair[1]}")
            # Keys in docker's order, empty ones left out.
            keys = ("architecture", "os", "os.version", "os.features", "variant")
            entry.platform = {k: platform[k] for k in keys if platform.get(k)}
            lists.save(self.store, stored)

    def inspect(self, name: str, image: str | None = None, *,
                insecure: bool = False) -> Inspected:
        """A local list (or one of its images); else, with one name, the
        manifest or list the registry holds under it."""
        if image is not None:
            target = _list_ref(name)
            entry = _find(self._load(target), image)
            return Inspected(entry.ref, [entry], False, entry.raw)
        target = reference.parse(name)
        stored = lists.load(self.store, str(target)) if not target.digest else None
        if stored is not None:
            return Inspected(stored.ref, stored.entries, True, _document(stored.entries))
        return self._remote(target, insecure)

    def _remote(self, ref: reference.Reference, insecure: bool) -> Inspected:
        from hullbox.registry.client import RegistryClient
        from hullbox.registry.manifest_list import fetch, image_entry, index_entries
        from hullbox.registry.repository import INDEX_TYPES, Repository

        with RegistryClient(ref.domain, insecure=insecure) as client:
            repo = Repository(client, ref.path)
            fetched, media_type = fetch(repo, ref)
            if media_type in INDEX_TYPES:
                found = index_entries(repo, ref, fetched.data)
                entries = [_stored(e) for e in found]
                return Inspected(str(ref), entries, True, fetched.data)
            entry = _stored(image_entry(repo, ref, fetched=fetched))
        return Inspected(str(ref), [entry], False, fetched.data)

    def push(self, name: str, *, purge: bool = False, insecure: bool = False) -> str:
        """Push a local list under its tag; returns the list's digest."""
        from hullbox.registry.client import RegistryClient
        from hullbox.registry.manifest_list import ListEntry, push_list
        from hullbox.registry.repository import Repository

        target = _list_ref(name)
        stored = self._load(target)
        if not stored.entries:
            raise InvalidArgument(f"manifest list {target.familiar} is empty")
        entries = [ListEntry(e.ref, e.media_type, e.digest, e.size, e.platform, e.raw)
                   for e in stored.entries]
        with RegistryClient(target.domain, insecure=insecure) as client:
            digest = push_list(Repository(client, target.path, push=True),
                               target.tag or "latest", entries)
        if purge:
            lists.remove(self.store, str(target))
        return digest

    def remove(self, name: str) -> None:
        """Forget a local list."""
        target = _list_ref(name)
        if not lists.remove(self.store, str(target)):
            raise ManifestListNotFound(f"no such manifest list: {name}")

    def _load(self, target: reference.Reference) -> StoredList:
        stored = lists.load(self.store, str(target))
        if stored is None:
            raise ManifestListNotFound(
                f"no such manifest list: {target.familiar}; make it with: hullbox manifest "
                f"create {target.familiar} IMAGE...")
        return stored


def _list_ref(name: str) -> reference.Reference:
    ref = reference.parse(name)
    if ref.digest:
        raise InvalidArgument(f"{name}: a manifest list is named by a tag, not a digest")
    return ref


def _find(stored: StoredList, image: str) -> StoredEntry:
    """The list's entry for ``image`` (a reference or a digest)."""
    wanted = image if image.startswith("sha256:") else str(reference.parse(image))
    for entry in stored.entries:
        if wanted in (entry.ref, entry.digest):
            return entry
    raise ManifestListNotFound(
        f"manifest for image {image} does not exist in {reference.parse(stored.ref).familiar}")


def _stored(entry: ListEntry) -> StoredEntry:
    return StoredEntry(entry.ref, entry.media_type, entry.digest, entry.size,
                       entry.platform, entry.raw)


def _document(entries: list[StoredEntry]) -> bytes:
    from hullbox.registry.manifest_list import ListEntry, list_bytes

    return list_bytes([ListEntry(e.ref, e.media_type, e.digest, e.size, e.platform, e.raw)
                       for e in entries])


def verbose(entry: StoredEntry) -> dict[str, Any]:
    """docker's ``manifest inspect -v`` object of one image: Ref, Descriptor,
    Raw, and the manifest as SchemaV2Manifest or OCIManifest."""
    from hullbox.oci.image import DOCKER_MANIFEST

    key = "SchemaV2Manifest" if entry.media_type == DOCKER_MANIFEST else "OCIManifest"
    return {**entry.to_json(), key: json.loads(entry.raw)}
