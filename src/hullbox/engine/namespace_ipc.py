"""--ipc and --shm-size: the IPC namespace and the /dev/shm that goes with
it (a host tmpfs for ``shareable``, so joiners bind the same one), and the
helpers that point config.json at a namespace of the host or of another
running container."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hullbox.engine.options import ContainerOptions
from hullbox.engine.settings.namespaces import DEFAULT_SHM_SIZE, joined_container
from hullbox.errors import Conflict, ContainerNotFound
from hullbox.store.store import Store

if TYPE_CHECKING:
    from hullbox.store.containers import ContainerRecord

SHM_DIR = "shm"  # in the container's directory: the /dev/shm of --ipc shareable
_SHM_OPTIONS = ["rbind", "nosuid", "noexec", "nodev"]


def running_target(store: Store, flag: str, name: str) -> ContainerRecord:
    """The running container ``name`` that ``flag`` joins or links to."""
    from hullbox.store import containers as container_db

    found = container_db.find(store, name)
    if not found:
        raise ContainerNotFound(f"{flag}: no such container: {name}")
    record = found[0]
    if record.state != "running" or not record.pid:
        raise Conflict(f"{flag}: container {name} is not running; start it first: "
                       f"hullbox start {name}")
    return record


def check_ipc_donor(store: Store, name: str) -> ContainerRecord:
    """The running container whose IPC ``--ipc container:NAME`` joins: it must
    share it (Docker's rule), or /dev/shm would not be the same."""
    record = running_target(store, f"--ipc container:{name}", name)
    donor = ContainerOptions.from_json(record.config).namespaces.ipc
    if donor not in ("shareable", "host"):
        raise Conflict(f"--ipc container:{name}: {name}'s IPC is {donor or 'private'}, "
                       f"not shareable; run {name} with --ipc shareable")
    return record


def _namespace(spec: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((ns for ns in spec["linux"]["namespaces"] if ns["type"] == kind), None)


def share_host(spec: dict[str, Any], kind: str) -> None:
    spec["linux"]["namespaces"] = [ns for ns in spec["linux"]["namespaces"]
                                   if ns["type"] != kind]


def join(spec: dict[str, Any], kind: str, pid: int) -> None:
    namespace = _namespace(spec, kind)
    if namespace is None:
        spec["linux"]["namespaces"].append(namespace := {"type": kind})
    namespace["path"] = f"/proc/{pid}/ns/{kind}"


def mount_shareable_shm(container_dir: Path, size: int) -> Path:
    """--ipc shareable: /dev/shm is a tmpfs in the container's directory on the
    host, so a container that joins its IPC can bind the same one."""
    from hullbox.engine.rootless import is_rootless
    from hullbox.linux import mounts

    path = container_dir / SHM_DIR
    path.mkdir(mode=0o755, exist_ok=True)
    unmount_shm(container_dir)  # left by a keeper that was killed
    if not is_rootless():  # a user cannot mount on the host: a plain directory then
        mounts.mount("shm", str(path), "tmpfs",
                     mounts.MS_NOSUID | mounts.MS_NODEV | mounts.MS_NOEXEC,
                     f"mode=1777,size={size}")
    return path


def unmount_shm(container_dir: Path) -> None:
    """Undo mount_shareable_shm, if it was done (called with the rootfs' unmount)."""
    path = container_dir / SHM_DIR
    if not path.is_dir():
        return
    from hullbox.engine.rootfs import is_mounted
    from hullbox.linux import mounts

    with contextlib.suppress(OSError):
        while is_mounted(path):
            mounts.umount(str(path), mounts.MNT_DETACH)


def apply_ipc(spec: dict[str, Any], store: Store, options: ContainerOptions,
              container_dir: Path) -> None:
    """The IPC namespace and the /dev/shm that goes with it."""
    settings = options.namespaces
    shm = next(m for m in spec["mounts"] if m["destination"] == "/dev/shm")
    size = settings.shm_size or DEFAULT_SHM_SIZE
    mode = settings.ipc or "private"
    if mode == "private":
        shm["options"] = [o for o in shm["options"] if not o.startswith("size=")] + \
            [f"size={size}"]
    elif mode == "none":
        spec["mounts"].remove(shm)
    elif mode == "host":
        share_host(spec, "ipc")
        shm.update(type="bind", source="/dev/shm", options=list(_SHM_OPTIONS))
    elif mode == "shareable":
        shm.update(type="bind", source=str(mount_shareable_shm(container_dir, size)),
                   options=list(_SHM_OPTIONS))
    else:
        donor = check_ipc_donor(store, joined_container(mode))
        if ContainerOptions.from_json(donor.config).namespaces.ipc == "host":
            share_host(spec, "ipc")
            source: str = "/dev/shm"
        else:
            join(spec, "ipc", donor.pid)
            source = str(store.container_dir(donor.id) / SHM_DIR)
        shm.update(type="bind", source=source, options=list(_SHM_OPTIONS))
