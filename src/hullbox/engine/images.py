"""Image use cases: import, list, resolve, tag, remove, inspect."""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from hullbox.engine import events
from hullbox.errors import Conflict, ImageNotFound, InvalidReference
from hullbox.oci import reference
from hullbox.oci.digest import chain_ids
from hullbox.oci.image import ImageConfig, Manifest
from hullbox.store import containers as container_db
from hullbox.store import images as image_db
from hullbox.store.images import ImageRecord
from hullbox.store.store import Store


def _looks_like_id(text: str) -> bool:
    """An image ID or a prefix of one long enough to be meant as one."""
    return len(text) >= 4 and all(c in "0123456789abcdef" for c in text)


@dataclass(frozen=True)
class Image:
    """An image resolved from the store, with its parsed config."""

    record: ImageRecord
    config: ImageConfig

    @property
    def id(self) -> str:
        return self.record.id

    def layer_chain_ids(self) -> builtins.list[str]:
        return chain_ids(self.config.diff_ids)


class ImageService:
    """``Engine().images``: what ``hullbox image ...`` does."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def import_(
        self,
        source: str | Path | BinaryIO,
        ref: str | None = None,
        *,
        changes: builtins.list[str] | None = None,
        message: str = "",
        platform: str | None = None,
    ) -> ImageRecord:
        """Make an image of one root filesystem tar (``docker import``);
        ``platform`` (os/arch[/variant]) is what its config says it is."""
        from hullbox.engine.image_platform import import_platform
        from hullbox.image.importer import import_rootfs

        if ref is not None:
            reference.parse(ref)  # a bad name fails before any byte is read
        record = import_rootfs(self.store, source, ref, changes=changes, message=message,
                               platform=import_platform(platform))
        events.image(self.store, record.id, "import")
        return record

    def list(
        self, filters: dict[str, builtins.list[str]] | None = None
    ) -> builtins.list[ImageRecord]:
        """Images, newest first; ``filters`` as ``parse_image_filters`` makes them."""
        records = image_db.list_images(self.store)
        if not filters:
            return records
        from hullbox.engine.image_filters import image_matcher

        def added_of(name: str) -> float:
            found = image_db.get_image(self.store, self.resolve_id(name))
            return found.added if found else 0.0

        matches = image_matcher(
            filters,
            familiar=lambda r: [reference.parse(t).familiar for t in r.tags],
            labels=lambda r: self.get(r.id).config.config.labels or {},
            added_of=added_of,
        )
        found = [r for r in records if matches(r)]
        if "reference" in filters:  # Docker lists only the names that match
            from dataclasses import replace

            from hullbox.engine.image_filters import reference_matches

            found = [replace(r, tags=tuple(
                t for t in r.tags
                if any(reference_matches(p, [reference.parse(t).familiar])
                       for p in filters["reference"]))) for r in found]
        return found

    def repo_digests(self, image_id: str) -> builtins.list[str]:
        """``busybox@sha256:...`` for each repository that knows the image."""
        return [_familiar_digest(d) for d in image_db.repo_digests(self.store, image_id)]

    def resolve_id(self, name: str) -> str:
        """The image ID a user's word names: a tag, a full ID or an ID prefix."""
        hex_part = name.removeprefix("sha256:")
        if _looks_like_id(hex_part):
            if image_db.get_image(self.store, f"sha256:{hex_part}") is not None:
                return f"sha256:{hex_part}"
            matches = image_db.image_ids_with_prefix(self.store, hex_part)
            if len(matches) == 1:
                return matches[0]
        try:
            ref = reference.parse(name)
        except InvalidReference:
            if _looks_like_id(hex_part):
                raise ImageNotFound(f"no such image: {name}") from None
            raise
        found = image_db.image_id_for_tag(self.store, str(ref))
        if found is None:
            raise ImageNotFound(
                f"image {ref.familiar!r} not found locally; pull it with: "
                f"hullbox pull {ref.familiar} (or make it: hullbox import ROOTFS.tar "
                f"{ref.familiar})"
            )
        return found

    def get(self, name: str) -> Image:
        image_id = self.resolve_id(name)
        record = image_db.get_image(self.store, image_id)
        if record is None:
            raise ImageNotFound(f"no such image: {name}")
        config = ImageConfig.from_json(json.loads(self.store.read_blob(image_id)))
        return Image(record=record, config=config)

    def manifest(self, image: Image) -> Manifest:
        return Manifest.from_json(json.loads(self.store.read_blob(image.record.manifest_digest)))

    def tag(self, source: str, target: str) -> str:
        """Give an image another name; returns the normalised new name."""
        image_id = self.resolve_id(source)
        ref = reference.parse(target)
        if ref.digest:
            raise InvalidReference(f"cannot tag with a digest: {target}; use name:tag")
        image_db.add_tag(self.store, str(ref), image_id)
        events.image(self.store, image_id, "tag", ref.familiar)
        return str(ref)

    def remove(self, name: str, *, force: bool = False) -> builtins.list[str]:
        """``rmi``: untag a name; delete the image when no tag is left (or when
        named by ID). Returns Docker's "Untagged:"/"Deleted:" lines."""
        image_id = self.resolve_id(name)
        record = image_db.get_image(self.store, image_id)
        assert record is not None
        lines: builtins.list[str] = []
        hex_part = name.removeprefix("sha256:")
        named_by_id = _looks_like_id(hex_part) and image_id.removeprefix(
            "sha256:").startswith(hex_part)
        if not named_by_id and len(record.tags) > 1:
            ref = reference.parse(name)
            image_db.remove_tag(self.store, str(ref))
            events.image(self.store, image_id, "untag")
            return [f"Untagged: {ref.familiar}"]
        if named_by_id and len(record.tags) > 1 and not force:
            raise Conflict(
                f"unable to delete {record.short_id} (must be forced): the image is "
                "referenced in multiple repositories; use rmi -f"
            )
        users = [c for c in container_db.list_all(self.store) if c.image_id == image_id]
        if users and not force:
            raise Conflict(
                f"unable to remove image {name}: container {users[0].short_id} uses it; "
                f"remove the container first (hullbox rm {users[0].name}) or use rmi -f"
            )
        for tag in record.tags:
            lines.append(f"Untagged: {reference.parse(tag).familiar}")
        if users:  # forced while in use: keep the content, drop the names
            for tag in record.tags:
                image_db.remove_tag(self.store, tag)
                events.image(self.store, image_id, "untag")
            return lines
        image_db.remove_image_record(self.store, image_id)
        for _tag in record.tags:
            events.image(self.store, image_id, "untag")
        events.image(self.store, image_id, "delete")
        lines.append(f"Deleted: {image_id}")
        from hullbox.engine.gc import collect_garbage

        collect_garbage(self.store)
        return lines

    def inspect(self, name: str) -> dict[str, Any]:
        """Docker's ``image inspect`` object."""
        image = self.get(name)
        cfg = image.config
        tags = [reference.parse(t).familiar for t in image.record.tags]
        return {
            "Id": image.id,
            "RepoTags": tags,
            "RepoDigests": self.repo_digests(image.id),
            "Parent": "",
            "Comment": next((h.get("comment", "") for h in cfg.history[-1:]), ""),
            "Created": cfg.created,
            "Author": cfg.author,
            "Config": {
                "Hostname": "",
                "User": cfg.config.user,
                "Env": cfg.config.env or None,
                "Cmd": cfg.config.cmd,
                "Entrypoint": cfg.config.entrypoint,
                "WorkingDir": cfg.config.working_dir,
                "Labels": cfg.config.labels or None,
                "ExposedPorts": cfg.config.exposed_ports or None,
                "Volumes": cfg.config.volumes or None,
                "StopSignal": cfg.config.stop_signal or None,
                "OnBuild": cfg.config.on_build,
                # omitted when unset, as Docker does
                **({"Healthcheck": cfg.config.healthcheck} if cfg.config.healthcheck else {}),
                **({"Shell": cfg.config.shell} if cfg.config.shell else {}),
            },
            "Architecture": cfg.architecture,
            **({"Variant": cfg.variant} if cfg.variant else {}),  # omitempty, as Docker
            "Os": cfg.os,
            "Size": image.record.size,
            "GraphDriver": {
                "Name": "overlay",
                "Data": {"LowerDir": ":".join(
                    str(self.store.layer_dir(c)) for c in reversed(image.layer_chain_ids())
                )},
            },
            "RootFS": {"Type": "layers", "Layers": list(cfg.diff_ids)},
            "Metadata": {"LastTagTime": ""},
            "Descriptor": {"digest": image.record.manifest_digest},
        }


def _familiar_digest(name_at_digest: str) -> str:
    """``docker.io/library/busybox@sha256:..`` as Docker shows it: ``busybox@sha256:..``."""
    name, _, digest = name_at_digest.partition("@")
    return f"{reference.parse(name).familiar_name}@{digest}"
