"""Per-container state directories under a runtime root (runc's --root).

    <root>/<id>/state.json   written atomically (hidden temp file, fsync, rename)
    <root>/<id>/exec.fifo    exists from create until start (runc's exec fifo)
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hullbox.errors import ContainerNotFound, InvalidArgument

OCI_VERSION = "1.0.2"
EXEC_FIFO = "exec.fifo"


@dataclass
class State:
    """What the runtime remembers about a container between commands."""

    id: str
    pid: int
    bundle: str
    cgroups_path: str
    start_time: int  # /proc/<pid>/stat starttime: tells a reused pid apart
    created: str
    annotations: dict[str, str] = field(default_factory=dict)


def check_id(container_id: str) -> None:
    """Refuse ids that could escape the root directory."""
    if not container_id or "/" in container_id or container_id in (".", ".."):
        raise InvalidArgument(f"invalid container id {container_id!r}")


def state_dir(root: Path, container_id: str) -> Path:
    """The container's directory under root."""
    check_id(container_id)
    return root / container_id


def write_state(root: Path, state: State) -> None:
    """Write state.json atomically."""
    path = state_dir(root, state.id) / "state.json"
    tmp = path.with_name(f".state.json.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, json.dumps(asdict(state)).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_state(root: Path, container_id: str) -> State:
    """The saved state; ContainerNotFound when there is none."""
    try:
        data = json.loads((state_dir(root, container_id) / "state.json").read_bytes())
    except FileNotFoundError:
        raise ContainerNotFound(f"container {container_id} does not exist") from None
    return State(**data)


def remove_state(root: Path, container_id: str) -> None:
    """Remove the container's directory (missing is fine)."""
    shutil.rmtree(state_dir(root, container_id), ignore_errors=True)


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


def status(root: Path, state: State) -> str:
    """created, running or stopped, as the runtime spec names them."""
    if state.pid <= 0 or process_start_time(state.pid) != state.start_time:
        return "stopped"
    if (state_dir(root, state.id) / EXEC_FIFO).exists():
        return "created"
    return "running"


def oci_state(root: Path, state: State) -> dict[str, object]:
    """The runtime-spec state document (``runc state`` output)."""
    current = status(root, state)
    doc: dict[str, object] = {"ociVersion": OCI_VERSION, "id": state.id, "status": current,
                              "pid": state.pid if current != "stopped" else 0,
                              "bundle": state.bundle, "created": state.created}
    if state.annotations:
        doc["annotations"] = state.annotations
    return doc
