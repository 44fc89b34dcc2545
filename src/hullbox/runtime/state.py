"""Per-container state directories under a runtime root (runc's --root).

    <root>/<id>/state.json   written atomically (hidden temp file, fsync, rename)
    <root>/<id>/exec.fifo    exists from create until start (runc's exec fifo)
"""

from __future__ import annotations

import contextlib
import json
import os

from hullbox.errors import ContainerNotFound, InvalidArgument

# Paths are str or os.PathLike handled with os.path, and State a plain class:
# pathlib, dataclasses and shutil together cost ~15 ms to import, on every start.
TYPE_CHECKING = False
if TYPE_CHECKING:
    StrPath = str | os.PathLike[str]

OCI_VERSION = "1.0.2"
EXEC_FIFO = "exec.fifo"


class State:
    """What the runtime remembers about a container between commands."""

    __slots__ = ("annotations", "bundle", "cgroups_path", "created", "id", "pid",
                 "start_time")

    def __init__(self, id: str, pid: int, bundle: str, cgroups_path: str,
                 start_time: int,  # /proc/<pid>/stat starttime: tells a reused pid apart
                 created: str, annotations: dict[str, str] | None = None) -> None:
        self.id = id
        self.pid = pid
        self.bundle = bundle
        self.cgroups_path = cgroups_path
        self.start_time = start_time
        self.created = created
        self.annotations = {} if annotations is None else annotations

    def to_json(self) -> dict[str, object]:
        """The fields as state.json stores them."""
        return {"id": self.id, "pid": self.pid, "bundle": self.bundle,
                "cgroups_path": self.cgroups_path, "start_time": self.start_time,
                "created": self.created, "annotations": dict(self.annotations)}


def check_id(container_id: str) -> None:
    """Refuse ids that could escape the root directory."""
    if not container_id or "/" in container_id or container_id in (".", ".."):
        raise InvalidArgument(f"invalid container id {container_id!r}")


def state_dir(root: StrPath, container_id: str) -> str:
    """The container's directory under root."""
    check_id(container_id)
    return os.path.join(root, container_id)


def write_state(root: StrPath, state: State) -> None:
    """Write state.json atomically (a reader sees the old file or the new one).

    No fsync: runtime state describes live processes, which a crash ends anyway,
    and lives on a tmpfs (/run) in normal use; runc does not fsync it either.
    """
    directory = state_dir(root, state.id)
    path = os.path.join(directory, "state.json")
    tmp = os.path.join(directory, f".state.json.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, json.dumps(state.to_json()).encode())
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_state(root: StrPath, container_id: str) -> State:
    """The saved state; ContainerNotFound when there is none."""
    try:
        with open(os.path.join(state_dir(root, container_id), "state.json"), "rb") as f:
            data = json.loads(f.read())
    except FileNotFoundError:
        raise ContainerNotFound(f"container {container_id} does not exist") from None
    return State(**data)


def remove_state(root: StrPath, container_id: str) -> None:
    """Remove the container's directory (missing is fine)."""
    directory = state_dir(root, container_id)
    # The directory is flat (state.json, its temp file, exec.fifo): unlink its
    # entries directly instead of importing shutil (~2.5 ms with bz2 and lzma).
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        try:
            os.unlink(os.path.join(directory, name))
        except IsADirectoryError:  # not written by us; rmtree handles any depth
            import shutil

            shutil.rmtree(os.path.join(directory, name), ignore_errors=True)
        except OSError:
            continue
    with contextlib.suppress(OSError):
        os.rmdir(directory)


def process_start_time(pid: int) -> int | None:
    """starttime of pid (field 22 of /proc/<pid>/stat), None when it is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    if fields[0] in (b"Z", b"X"):
        return None
    return int(fields[19])


def status(root: StrPath, state: State) -> str:
    """created, running or stopped, as the runtime spec names them."""
    if state.pid <= 0 or process_start_time(state.pid) != state.start_time:
        return "stopped"
    if os.path.exists(os.path.join(state_dir(root, state.id), EXEC_FIFO)):
        return "created"
    return "running"


def oci_state(root: StrPath, state: State) -> dict[str, object]:
    """The runtime-spec state document (``runc state`` output)."""
    current = status(root, state)
    doc: dict[str, object] = {"ociVersion": OCI_VERSION, "id": state.id, "status": current,
                              "pid": state.pid if current != "stopped" else 0,
                              "bundle": state.bundle, "created": state.created}
    if state.annotations:
        doc["annotations"] = state.annotations
    return doc
