"""``hullbox buildx imagetools``: make a multi-platform image in a registry
from images already there (``create``), and show what a name holds
(``inspect``), with no local list in between (unlike ``manifest``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hullbox.errors import InvalidArgument
from hullbox.oci import reference

if TYPE_CHECKING:
    from hullbox.registry.manifest_list import ListEntry
    from hullbox.registry.repository import Repository


@dataclass(frozen=True)
class Composed:
    """What ``imagetools create`` made (or, with --dry-run, would make)."""

    document: bytes
    media_type: str
    digests: dict[str, str]  # tag -> digest pushed (empty for a dry run)


@dataclass(frozen=True)
class Described:
    """What ``imagetools inspect`` shows of a name."""

    name: str
    media_type: str
    digest: str
    raw: bytes
    entries: list[ListEntry]  # an index's images (empty for a single image)


def create(sources: list[str], tags: list[str], *, append: bool = False,
           dry_run: bool = False, insecure: bool = False) -> Composed:
    """One index of every image the sources name (an index source gives all
    of its images), pushed under each tag; all on one registry."""
    from hullbox.registry.client import RegistryClient
    from hullbox.registry.manifest_list import list_bytes, list_media_type, push_list
    from hullbox.registry.repository import Repository

    targets = [_tag(t) for t in tags]
    if not targets and not dry_run:
        raise InvalidArgument("imagetools create: name the result with -t (or use --dry-run)")
    refs = [reference.parse(s) for s in sources]
    if append:
        if not targets:
            raise InvalidArgument("imagetools create --append: -t names the image to add to")
        refs.insert(0, targets[0])
    if not refs:
        raise InvalidArgument("imagetools create: name at least one source image")
    registry = (targets or refs)[0].domain
    for ref in [*refs, *targets]:
        if ref.domain != registry:
            raise InvalidArgument(f"imagetools create: {ref.familiar} is on {ref.domain}, not "
                                  f"{registry}; hullbox composes images of one registry")
    with RegistryClient(registry, insecure=insecure) as client:
        entries: dict[str, ListEntry] = {}
        for ref in refs:
            for entry in _entries(Repository(client, ref.path), ref):
                entries.setdefault(entry.digest, entry)
        found = list(entries.values())
        digests = {} if dry_run else {
            str(t): push_list(Repository(client, t.path, push=True), t.tag or "latest", found)
            for t in targets}
    return Composed(list_bytes(found), list_media_type(found), digests)


def inspect(name: str, *, insecure: bool = False) -> Described:
    """The manifest or index ``name`` is in its registry, and an index's images."""
    from hullbox.registry.client import RegistryClient
    from hullbox.registry.manifest_list import fetch, index_entries
    from hullbox.registry.repository import INDEX_TYPES, Repository

    ref = reference.parse(name)
    with RegistryClient(ref.domain, insecure=insecure) as client:
        repo = Repository(client, ref.path)
        fetched, media_type = fetch(repo, ref)
        entries = index_entries(repo, ref, fetched.data) if media_type in INDEX_TYPES else []
    return Described(str(ref), media_type, fetched.digest, fetched.data, entries)


def _entries(repo: Repository, ref: reference.Reference) -> list[ListEntry]:
    from hullbox.registry.manifest_list import fetch, image_entry, index_entries
    from hullbox.registry.repository import INDEX_TYPES
    fetched, media_type = fetch(repo, ref)
    if media_type in INDEX_TYPES:
        return index_entries(repo, ref, fetched.data)
    return [image_entry(repo, ref, fetched=fetched)]


def _tag(text: str) -> reference.Reference:
    ref = reference.parse(text)
    if ref.digest:
        raise InvalidArgument(f"-t {text}: name the result by a tag, not a digest")
    return ref
