"""The ``local`` volume driver: a directory ``<root>/volumes/<name>/_data``,
or, with driver options (``--opt type=tmpfs,device=tmpfs,o=size=16m``, ``--opt
type=none,device=/path,o=bind``), a filesystem mounted where the volume is.

A volume with options is mounted inside each container's own mount
namespace (the runtime does it from the spec), never on the host, so a
killed hullbox leaves no host mount behind. The cost: two running
containers on one tmpfs volume see two tmpfs, where Docker shares one."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hullbox.errors import InvalidArgument
from hullbox.store.store import Store

DRIVER = "local"
_VALID_OPTIONS = ("type", "device", "o", "size")
# an option that needs others, as the local driver of Docker checks them
_MANDATORY = {"device": ("type",), "type": ("device",), "o": ("device", "type")}


def volumes_dir(store: Store) -> Path:
    return store.root / "volumes"


def data_dir(store: Store, name: str) -> Path:
    """The Mountpoint of a volume: where its data lives on the host."""
    return volumes_dir(store) / name / "_data"


def validate_options(options: dict[str, str]) -> None:
    """Docker's checks of ``--opt`` for the local driver."""
    for key in options:
        if key not in _VALID_OPTIONS:
            raise InvalidArgument(
                f"invalid volume option {key!r}: the local driver takes type, device and o"
            )
        if key == "size":
            raise InvalidArgument(
                "invalid volume option 'size': quota size needs a filesystem with project "
                "quotas, which this store has not; use type=tmpfs,device=tmpfs,o=size=..."
            )
        for needed in _MANDATORY.get(key, ()):
            if needed not in options:
                raise InvalidArgument(
                    f"invalid volume options: {key!r} needs the option {needed!r} too "
                    "(e.g. --opt type=tmpfs --opt device=tmpfs --opt o=size=64m)"
                )


def make_dirs(store: Store, name: str) -> None:
    """The volume's directory and its empty _data (a stale one, left by a crash
    between dropping a row and deleting its files, is emptied first)."""
    base = volumes_dir(store)
    base.mkdir(mode=0o701, parents=True, exist_ok=True)
    home = base / name
    if home.exists():
        remove_dirs(store, name)
    home.mkdir(mode=0o700)
    (home / "_data").mkdir(mode=0o755)
    os.chmod(home / "_data", 0o755)  # whatever the umask


def remove_dirs(store: Store, name: str,
                remove_tree: Callable[[Path], None] | None = None) -> None:
    """Move the volume's directory aside, then delete it (with ``remove_tree``,
    else shutil.rmtree ignoring errors): a crash halfway leaves no
    half-emptied volume under its name."""
    import shutil
    import tempfile

    home = volumes_dir(store) / name
    store.tmp_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    trash = Path(tempfile.mkdtemp(prefix=".volume-", dir=store.tmp_dir))
    with contextlib.suppress(FileNotFoundError):
        os.rename(home, trash / "v")
    if remove_tree is None:
        shutil.rmtree(trash, ignore_errors=True)
    else:
        remove_tree(trash)


def ensure_data_dir(store: Store, name: str) -> Path:
    """The _data directory, made again if a crash lost it."""
    path = data_dir(store, name)
    if not path.is_dir():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o755)
    return path


@contextlib.contextmanager
def locked(store: Store, name: str) -> Iterator[Path]:
    """The volume's _data, held under an exclusive lock on its directory, so
    two containers starting at once do not both fill it from their images."""
    data = ensure_data_dir(store, name)
    fd = os.open(data.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield data
    finally:
        os.close(fd)


def spec_mount(store: Store, name: str, options: dict[str, str], destination: str,
               extra: list[str]) -> dict[str, Any]:
    """The runtime-spec mount of a volume at ``destination``."""
    if not options:
        return {"destination": destination, "type": "bind",
                "source": str(ensure_data_dir(store, name)), "options": ["rbind", *extra]}
    mount_options = [o for o in options.get("o", "").split(",") if o]
    kind = options["type"]
    return {"destination": destination, "type": kind, "source": options["device"],
            "options": [*mount_options, *extra]}


def disk_usage(path: Path) -> int:
    """Bytes used by the files under ``path`` (``volume prune``'s reclaimed space)."""
    total = 0
    for folder, dirs, files in os.walk(path):
        for entry in [*dirs, *files]:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(folder, entry)).st_blocks * 512
    return total
