"""Where a pull unpacks its layers until they are committed.

A layer is unpacked while it downloads, so a pull killed half-way leaves a
half-unpacked directory besides its partial file. Each directory is locked
(flock on the directory itself) by the pull that made it for as long as that
pull lives; the next pull removes those whose lock is free. Both happen under
the store lock, so no pull sees another's directory before it is locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from hullbox.store.store import LayerStaging, Store

_PREFIX = ".pull-layer-"


def _open_dir(path: Path) -> int:
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)


@contextlib.contextmanager
def pull_staging(store: Store) -> Iterator[LayerStaging]:
    """A locked staging directory; removed when the block ends uncommitted."""
    with store.lock():
        path = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=store.tmp_dir))
        fd = _open_dir(path)
        fcntl.flock(fd, fcntl.LOCK_EX)
    staging = LayerStaging(path, store.layers_dir)
    try:
        (path / "diff").mkdir(mode=0o755)
        yield staging
    finally:
        if not staging.committed:
            shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def sweep_killed(store: Store) -> None:
    """Remove the staging directories of pulls that were killed."""
    with store.lock():
        for path in store.tmp_dir.glob(_PREFIX + "*"):
            try:
                fd = _open_dir(path)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its pull is alive
            finally:
                os.close(fd)
            shutil.rmtree(path, ignore_errors=True)
