"""A container in a user namespace of its own (--userns auto, --uidmap).

Its root is an unprivileged host id, so the image's files (owned by host root
on disk) must look root-owned to it: the layers go under the overlay through
idmapped mounts, where the kernel and filesystem allow, else as copies whose
owners are shifted, kept once per mapping in ROOT/layers-mapped/. What the
container writes lands in its upper dir owned by the mapped host ids.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hullbox.engine.rootfs import ContainerPaths, mount_overlay
from hullbox.engine.settings.security import SecuritySettings
from hullbox.engine.userns_options import requested_size
from hullbox.engine.userns_ranges import IdMapping, allocate, host_id, mappings_in_use
from hullbox.errors import RuntimeFailure
from hullbox.linux import mounts
from hullbox.store.store import Store

#: set to 1 to skip idmapped mounts and use shifted copies of the layers
NO_IDMAP_ENV = "HULLBOX_NO_IDMAP"
OVERFLOW_ID = 65534


def mapping_for(store: Store, container_id: str, settings: SecuritySettings) -> IdMapping | None:
    """The container's id mapping, or None when it shares the host's user namespace."""
    if settings.uidmap:
        return IdMapping(tuple((a, b, c) for a, b, c in settings.uidmap),
                         tuple((a, b, c) for a, b, c in settings.gidmap))
    if settings.userns.startswith("auto"):
        return allocate(store, container_id, requested_size(settings.userns))
    return None


def mount_rootfs(store: Store, paths: ContainerPaths, lowers: list[Path], mapping: IdMapping,
                 *, volatile: bool) -> str:
    """Mount the overlay with the layers shown through the mapping; returns how
    ("idmapped" or "copy")."""
    # The container's / is the upper dir's root: it must be its root's.
    os.chown(paths.upper, *mapping.root)
    if not os.environ.get(NO_IDMAP_ENV):
        try:
            with idmapped_layers(paths.base / "lower", lowers, mapping) as mapped:
                mount_overlay(paths, mapped, volatile=volatile)
            return "idmapped"
        except (OSError, RuntimeFailure):
            pass  # kernel or filesystem without idmapped (overlay) layers: copies
    mount_overlay(paths, [shifted_copy(store, lower, mapping) for lower in lowers],
                  volatile=volatile)
    return "copy"


@contextlib.contextmanager
def idmapped_layers(base: Path, lowers: list[Path], mapping: IdMapping) -> Iterator[list[Path]]:
    """Each layer bound through an idmapped mount under base/N while the block
    runs; the overlay keeps its own references, so they are detached after."""
    from hullbox.linux.userns import MappedNamespace, idmapped_bind

    base.mkdir(mode=0o700, exist_ok=True)
    made: list[Path] = []
    try:
        with MappedNamespace(list(mapping.uids), list(mapping.gids)) as ns:
            for index, lower in enumerate(lowers):
                target = base / str(index)
                target.mkdir(exist_ok=True)
                made.append(target)
                idmapped_bind(str(lower), str(target), ns.fd)
        yield made
    finally:
        for target in made:
            with contextlib.suppress(OSError):
                mounts.umount(str(target), mounts.MNT_DETACH)
            with contextlib.suppress(OSError):
                target.rmdir()
        with contextlib.suppress(OSError):
            base.rmdir()


def shifted_copy(store: Store, lower: Path, mapping: IdMapping) -> Path:
    """A copy of a layer with every owner moved through the mapping, made once
    per mapping and layer (layers/HEX/diff -> layers-mapped/KEY/HEX)."""
    target = store.root / "layers-mapped" / mapping.key() / lower.parent.name
    if target.is_dir():
        return target
    _drop_unused_copies(store)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".{target.name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    # cp -a keeps device nodes (whiteouts), hard links, xattrs and times
    done = subprocess.run(["cp", "-a", "--reflink=auto", str(lower), str(staging)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeFailure(f"copy layer {lower} for the user namespace: "
                             f"{done.stderr.strip()}")
    _shift_owners(lower, staging, mapping)
    os.rename(staging, target)
    return target


def _shift_owners(source: Path, copy: Path, mapping: IdMapping) -> None:
    # Owners come from the source, so a hard-linked file is not shifted twice.
    for dirpath, dirnames, filenames in os.walk(source):
        rel = os.path.relpath(dirpath, source)
        for name in [".", *dirnames, *filenames]:
            original = os.path.normpath(os.path.join(dirpath, name))
            st = os.lstat(original)
            uid = host_id(mapping.uids, st.st_uid)
            gid = host_id(mapping.gids, st.st_gid)
            uid = uid if uid >= 0 else host_id(mapping.uids, OVERFLOW_ID)
            gid = gid if gid >= 0 else host_id(mapping.gids, OVERFLOW_ID)
            if name == "." and rel != ".":
                continue  # a directory is done as its parent's entry
            path = os.path.normpath(os.path.join(copy, rel, name))
            os.lchown(path, uid, gid)
            if not stat.S_ISLNK(st.st_mode):
                os.chmod(path, stat.S_IMODE(st.st_mode))  # chown cleared set-id bits


def _drop_unused_copies(store: Store) -> None:
    """Remove the copies made for automatic ranges no container holds now."""
    base = store.root / "layers-mapped"
    if not base.is_dir():
        return
    in_use = mappings_in_use(store)
    for entry in base.iterdir():
        if entry.name.startswith("u0-") and entry.name not in in_use:
            shutil.rmtree(entry, ignore_errors=True)


def give_new_volumes_to_root(store: Store, config: dict[str, Any], mapping: IdMapping) -> None:
    """A named volume used for the first time by a container in a user namespace
    is its root's, as with Podman: made by host root and left empty (nothing
    from the image was copied in), its root could not write it otherwise.
    Only then: a volume in use keeps the owner it has."""
    from hullbox.engine.settings.storage import StorageSettings
    from hullbox.volume import local, records
    from hullbox.volume.mountpoint import VOLUME

    for point in StorageSettings.from_json(config.get("storage")).points():
        if point.type != VOLUME or point.read_only:
            continue
        record = records.get(store, point.source)
        if record is None or record.options:
            continue  # mounted from elsewhere (tmpfs, a device): nothing on disk to own
        data = local.data_dir(store, record.name)
        st = os.stat(data)
        if (st.st_uid, st.st_gid) == (0, 0) and not any(data.iterdir()):
            os.chown(data, *mapping.root)


def apply_to_spec(spec: dict[str, Any], mapping: IdMapping, etc_files: list[Path]) -> None:
    """A user namespace with the mapping in config.json; hullbox's /etc files
    owned by the container's root, so it may edit them as on Docker."""
    linux = spec["linux"]
    linux["namespaces"].append({"type": "user"})
    linux["uidMappings"] = [{"containerID": a, "hostID": b, "size": c} for a, b, c in mapping.uids]
    linux["gidMappings"] = [{"containerID": a, "hostID": b, "size": c} for a, b, c in mapping.gids]
    root_uid, root_gid = mapping.root
    for path in etc_files:
        os.chown(path, root_uid, root_gid)

