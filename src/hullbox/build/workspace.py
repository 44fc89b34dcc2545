"""A build step's filesystem: an overlay of the layers so far with a fresh
upper dir (which becomes the step's layer), in a directory of its own under
the store's tmp dir. Leaving the ``with`` block always unmounts and removes
it, so a failed step leaves nothing mounted or on disk."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from hullbox.errors import RuntimeFailure
from hullbox.linux import mounts
from hullbox.store.overlay import OverlayDirs


class Workspace(OverlayDirs):
    """``rootfs`` (the merged view), ``upper``, ``work`` and room for the
    files a RUN needs (config.json, /etc/hosts ...) in ``base``."""

    def __init__(self, tmp_dir: Path, lowers: list[Path], *, readonly: bool = False) -> None:
        self.tmp_dir = tmp_dir
        self.lowers = lowers  # top first
        self.readonly = readonly
        self.base = Path()
        self.mounted = False

    def __enter__(self) -> Workspace:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.base = Path(tempfile.mkdtemp(prefix=".build-", dir=self.tmp_dir))
        try:
            for path in (self.rootfs, self.upper, self.work, self.base / "empty"):
                path.mkdir(mode=0o755)
            lowers = [str(p) for p in self.lowers] or [str(self.base / "empty")]
            if self.readonly:
                options = "lowerdir=" + ":".join([str(self.upper), *lowers])
                flags = mounts.MS_RDONLY
            else:
                options = self.overlay_options(lowers)
                flags = 0
            try:
                mounts.mount("overlay", str(self.rootfs), "overlay", flags, options)
            except OSError as exc:
                raise RuntimeFailure(f"build: mount the step's filesystem: "
                                     f"{exc.strerror or exc}") from exc
            self.mounted = True
        except BaseException:
            shutil.rmtree(self.base, ignore_errors=True)
            raise
        return self

    def unmount(self) -> None:
        """Unmount the merged view; the upper dir stays for making a layer."""
        if self.mounted:
            mounts.umount(str(self.rootfs), mounts.MNT_DETACH)
            self.mounted = False
            # The kernel may leave its work/ subdirs mode 000: gone with base.

    def in_lowers(self, rel: str) -> bool:
        """Whether ``rel`` exists in a layer below (not made by this step)."""
        return any(os.path.lexists(lower / rel) for lower in self.lowers)

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):
            self.unmount()
        shutil.rmtree(self.base, ignore_errors=True)


def _with_parents(path: str) -> set[str]:
    parts = [p for p in path.split("/") if p]
    return {"/".join(parts[:n]) for n in range(1, len(parts) + 1)}


def remove_mount_points(space: Workspace, destinations: list[str], *, keep: str = "") -> None:
    """Take out of the upper dir what the runtime made only to mount over
    (an /etc/hosts the image lacks, a cache mount's target): they are not
    the step's changes, nor the directories made to hold them (/run/secrets).
    Only empty files and directories are removed, never ``keep`` (the
    step's working directory, which WORKDIR promised) or its parents."""
    wanted: set[str] = set()
    for dest in destinations:
        wanted |= _with_parents(dest)
    for dest in sorted(wanted - _with_parents(keep), reverse=True):
        path = space.upper / dest
        if space.in_lowers(dest) or not os.path.lexists(path):
            continue
        with contextlib.suppress(OSError):
            if path.is_dir() and not path.is_symlink():
                path.rmdir()
            elif path.is_file() and path.stat().st_size == 0:
                path.unlink()
