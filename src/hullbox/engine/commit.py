"""``commit`` and ``export``: a container's filesystem as a new image, or as a
tar of its whole root.

commit: the container's image plus one layer made of its overlay upper dir,
with a config that keeps what the container ran with (Docker's: its command,
entrypoint, env, user, working dir), then ``--change`` instructions.

export: a read-only overlay of the upper dir over the image's layers, mounted
in the store's tmp dir just for the export and unmounted after, so it works
the same on a running, stopped or never-started container.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from hullbox.engine.images import Image, ImageService
from hullbox.engine.options import ContainerOptions
from hullbox.engine.rootfs import ContainerPaths
from hullbox.errors import InvalidArgument, RuntimeFailure
from hullbox.image.changes import apply_changes
from hullbox.image.layerwriter import now_rfc3339, write_image, write_layer
from hullbox.image.packlayer import PackStats, Writable, pack_tree
from hullbox.linux import mounts
from hullbox.oci import reference
from hullbox.oci.image import ContainerConfig
from hullbox.store import images as image_db
from hullbox.store.containers import RUNNING, ContainerRecord
from hullbox.store.images import ImageRecord, LayerRecord
from hullbox.store.store import Store


def commit_container(store: Store, images: ImageService, record: ContainerRecord, ref: str | None,
                     *, changes: list[str] | None = None, message: str = "",
                     author: str = "") -> ImageRecord:
    """Make an image of the container's changes on top of its image."""
    tags = [] if ref is None else [_tag_name(ref)]
    image = images.get(record.image_id)
    config = apply_changes(_container_config(image, record), changes or [])
    paths = ContainerPaths(store.container_dir(record.id))
    if not paths.upper.is_dir():
        raise RuntimeFailure(f"commit {record.name}: its directory {paths.upper} is missing")
    chain = image.layer_chain_ids()
    layer = write_layer(store, paths.upper, chain[-1] if chain else None,
                        exclude=runtime_mount_points(store, image, paths))
    created = now_rfc3339()
    history = {"created": created, "created_by": " ".join(record.command)}
    if message:
        history["comment"] = message
    if author:
        history["author"] = author
    new = replace(
        image.config, created=created, author=author, config=config,
        diff_ids=[*image.config.diff_ids, layer.diff_id],
        history=[*image.config.history, history],
    )
    base_layers = images.manifest(image).layers
    return write_image(store, new, [*base_layers, layer.descriptor],
                       [*_stack_records(store, image), layer.record], tags)


@contextlib.contextmanager
def frozen_for_commit(store: Store, record: ContainerRecord, pause: bool) -> Iterator[None]:
    """``commit --pause``: a running container, unless paused already, is
    frozen while its upper dir is read, so the layer is one moment's state
    (with Docker's pause and unpause events)."""
    from hullbox.engine import events
    from hullbox.engine.pause import is_paused, set_frozen

    if not pause or record.state != RUNNING or not record.pid or is_paused(record.id):
        yield
        return
    set_frozen(record.id, record.name, True)
    events.container(store, record, "pause")
    try:
        yield
    finally:
        set_frozen(record.id, record.name, False)
        events.container(store, record, "unpause")


def _tag_name(ref: str) -> str:
    parsed = reference.parse(ref)
    if parsed.digest:
        raise InvalidArgument(f"commit as {ref!r}: a digest cannot be a tag; give name[:tag]")
    return str(parsed)


def _container_config(image: Image, record: ContainerRecord) -> ContainerConfig:
    """The image's config with what the container was run with, as Docker's
    commit keeps it: ``run busybox echo hi`` commits ``Cmd ["echo","hi"]``."""
    options = ContainerOptions.from_json(record.config)
    base = image.config.config
    entrypoint = options.entrypoint if options.entrypoint is not None else base.entrypoint
    skip = len(entrypoint or [])
    cmd = record.command[skip:] or None
    env = {e.partition("=")[0]: e for e in base.env}
    for item in options.env:
        if "=" in item:
            env[item.partition("=")[0]] = item
    return replace(
        base,
        env=list(env.values()),
        entrypoint=list(entrypoint) if entrypoint else None,
        cmd=cmd,
        user=options.user or base.user,
        working_dir=options.workdir or base.working_dir,
        labels={**base.labels, **options.labels},
        exposed_ports=dict(base.exposed_ports),
        volumes=dict(base.volumes),
    )


def runtime_mount_points(store: Store, image: Image, paths: ContainerPaths) -> set[str]:
    """Files the runtime made in the upper dir only to mount over them
    (/etc/hosts on an image without one): not the container's changes."""
    try:
        spec = json.loads(paths.config.read_text())
    except (OSError, ValueError):
        return set()
    lowers = [store.layer_dir(c) for c in image.layer_chain_ids()]
    made: set[str] = set()
    for mount in spec.get("mounts") or []:
        rel = str(mount.get("destination", "")).strip("/")
        if rel and not any(os.path.lexists(lower / rel) for lower in lowers):
            made.add(rel)
    return made


def _stack_records(store: Store, image: Image) -> list[LayerRecord]:
    chain = image.layer_chain_ids()
    if not chain:
        return []
    return list(reversed(image_db.layer_chain(store, chain[-1])))


def export_container(store: Store, images: ImageService, record: ContainerRecord,
                     out: Writable) -> PackStats:
    """Write the container's merged root filesystem to ``out`` as a tar."""
    image = images.get(record.image_id)
    paths = ContainerPaths(store.container_dir(record.id))
    lowers = [paths.upper, *(store.layer_dir(c) for c in reversed(image.layer_chain_ids()))]
    store.tmp_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        target = Path(tempfile.mkdtemp(prefix=".export-", dir=store.tmp_dir))
        stack.callback(os.rmdir, target)
        options = "lowerdir=" + ":".join(str(p) for p in lowers)
        try:
            mounts.mount("overlay", str(target), "overlay", mounts.MS_RDONLY, options)
        except OSError as exc:
            raise RuntimeFailure(f"export {record.name}: mount its filesystem: "
                                 f"{exc.strerror or exc}") from exc
        stack.callback(mounts.umount, str(target), mounts.MNT_DETACH)
        return pack_tree(target, out)
    raise AssertionError("unreachable")  # pragma: no cover
