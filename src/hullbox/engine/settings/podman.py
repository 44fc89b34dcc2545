"""What podman's ``run``/``create`` extras leave on the container:
``--pidfile`` (where the host pid of the container's process is written at
every start) and ``--preserve-fds`` (how many descriptors after stdio the
container's process gets; a spec annotation tells the runtime's init)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import asdict, dataclass
from typing import Any

from hullbox.errors import InvalidArgument


@dataclass
class PodmanSettings:
    """Stored with the container (inside ContainerOptions)."""

    pidfile: str = ""  # absolute
    preserve_fds: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> PodmanSettings:
        data = data or {}
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def apply_to_spec(spec: dict[str, Any], settings: PodmanSettings) -> None:
    """--preserve-fds N: the annotation that tells the runtime's init."""
    from hullbox.runtime.fds import PRESERVE_FDS_ANNOTATION  # ctypes: only where specs are made

    if settings.preserve_fds:
        spec.setdefault("annotations", {})[PRESERVE_FDS_ANNOTATION] = str(settings.preserve_fds)


def write_pidfile(settings: PodmanSettings, pid: int) -> None:
    """--pidfile: the container's process as the host sees it (podman's
    meaning), replaced whole so a reader never sees half a number. Its
    directory was checked at create; if it went away since, the started
    container is not undone for it: the file is simply not written."""
    if not settings.pidfile:
        return
    temporary = f"{settings.pidfile}.{os.getpid()}.tmp"
    with contextlib.suppress(OSError):
        with open(temporary, "w") as out:
            out.write(str(pid))
        os.replace(temporary, settings.pidfile)


def check_pidfile(path: str) -> str:
    """The absolute path of --pidfile (the monitor runs elsewhere), whose
    directory must exist and be writable."""
    absolute = os.path.abspath(path)
    directory = os.path.dirname(absolute)
    if os.path.isdir(absolute):
        raise InvalidArgument(f"--pidfile {path}: is a directory; name a file in it")
    if not os.path.isdir(directory) or not os.access(directory, os.W_OK):
        raise InvalidArgument(f"--pidfile {path}: directory {directory} does not exist or "
                              "is not writable; create it or choose another place")
    return absolute
