"""Local manifest lists (``hullbox manifest create``), one JSON file each
under ``ROOT/manifests``, as docker keeps them under ~/.docker/manifests.

A file holds the list's reference and, for each image, what docker's
ImageManifest holds: its reference, its descriptor with the platform, and
the manifest's bytes (base64). Files are replaced whole (write_atomic).
"""

from __future__ import annotations

import base64
import json
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hullbox.errors import StoreError
from hullbox.store.atomic import write_atomic
from hullbox.store.store import Store, remove_file


@dataclass
class StoredEntry:
    """One image of a local list."""

    ref: str
    media_type: str
    digest: str
    size: int
    platform: dict[str, Any]
    raw: bytes

    def to_json(self) -> dict[str, Any]:
        """docker's ImageManifest fields (Ref, Descriptor, Raw)."""
        return {"Ref": self.ref,
                "Descriptor": {"mediaType": self.media_type, "digest": self.digest,
                               "size": self.size, "platform": self.platform},
                "Raw": base64.b64encode(self.raw).decode()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoredEntry:
        desc = data["Descriptor"]
        return cls(str(data["Ref"]), str(desc["mediaType"]), str(desc["digest"]),
                   int(desc["size"]), dict(desc.get("platform") or {}),
                   base64.b64decode(data.get("Raw") or ""))


@dataclass
class StoredList:
    """A local manifest list: its reference and its images, in order."""

    ref: str
    entries: list[StoredEntry] = field(default_factory=list)


def _directory(store: Store) -> Path:
    return store.root / "manifests"


def _path(store: Store, ref: str) -> Path:
    # quote() keeps distinct references distinct (docker's "_" for "/" and
    # ":" would not), and the name readable.
    return _directory(store) / (urllib.parse.quote(ref, safe="") + ".json")


def load(store: Store, ref: str) -> StoredList | None:
    """The list named ``ref`` (a normalised reference), or None."""
    try:
        data = json.loads(_path(store, ref).read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StoreError(f"read manifest list {ref}: {exc}; remove it with: hullbox "
                         f"manifest rm {ref}") from exc
    return StoredList(str(data["Ref"]),
                      [StoredEntry.from_json(e) for e in data.get("Manifests") or []])


def save(store: Store, stored: StoredList) -> None:
    """Write the list whole, replacing any list of that name."""
    _directory(store).mkdir(mode=0o700, exist_ok=True)
    data = {"Ref": stored.ref, "Manifests": [e.to_json() for e in stored.entries]}
    write_atomic(_path(store, stored.ref), json.dumps(data, indent=1).encode(), 0o600)


def remove(store: Store, ref: str) -> bool:
    """Forget the list; False when there was none."""
    path = _path(store, ref)
    if not path.exists():
        return False
    remove_file(path)
    return True


def names(store: Store) -> list[str]:
    """Every local list's reference."""
    directory = _directory(store)
    if not directory.is_dir():
        return []
    return sorted(urllib.parse.unquote(p.name.removesuffix(".json"))
                  for p in directory.glob("*.json"))
