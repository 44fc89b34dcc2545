"""Directory trees to tar streams: an overlay upper dir becomes a layer tar
(the inverse of ``tarlayer.unpack_layer``), a mounted rootfs becomes an export.

An upper dir holds overlayfs's own form of deletions: a 0/0 character device
where a lower file was removed, and the ``trusted.overlay.opaque`` xattr on a
directory that replaced a lower one. In a layer tar these become OCI
whiteouts: an empty ``.wh.NAME`` entry and a ``.wh..wh..opq`` entry inside
the directory (image-spec layer.md).

Entries come in sorted order, parents before children, so the same tree
always gives the same bytes and so the same DiffID. Hard links inside the tree
are kept as links to the first name seen; owners are numeric; xattrs other
than overlayfs's bookkeeping travel as PAX ``SCHILY.xattr.`` records.
"""

from __future__ import annotations

import errno
import os
import stat
import tarfile
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import IO, Protocol, cast

from hullbox.errors import LayerError
from hullbox.image.tarlayer import (
    OVERLAY_OPAQUE_XATTR,
    WHITEOUT_OPAQUE,
    WHITEOUT_PREFIX,
)

_OVERLAY_XATTR_PREFIX = "trusted.overlay."
# These mean the upper dir is not self-contained: its content lives partly in
# the lower layers under other names, which a layer tar cannot express.
_UNSUPPORTED_OVERLAY = ("trusted.overlay.redirect", "trusted.overlay.metacopy")
_PAX_XATTR = "SCHILY.xattr."


class Writable(Protocol):
    """Where a pack goes: a file, a pipe, a blob being hashed."""

    def write(self, data: bytes, /) -> int: ...


@dataclass
class PackStats:
    """What a pack wrote: entries and bytes of regular file content."""

    entries: int = 0
    size: int = 0
    whiteouts: int = 0
    _links: dict[tuple[int, int], str] = field(default_factory=dict)


def pack_layer(upper: str | os.PathLike[str], out: Writable, *,
               exclude: Collection[str] = ()) -> PackStats:
    """Write the overlay upper dir ``upper`` to ``out`` as an uncompressed
    layer tar. ``exclude`` names paths (relative, ``etc/hosts``) left out with
    everything below them. Raises LayerError for an upper dir that uses
    overlay features a layer cannot hold (redirect_dir, metacopy)."""
    return _Packer(os.fspath(upper), out, layer=True, exclude=exclude).run()


def pack_tree(root: str | os.PathLike[str], out: Writable, *,
              exclude: Collection[str] = ()) -> PackStats:
    """Write the directory ``root`` as a plain tar (``export``): what is there
    is what goes in, with no whiteout translation."""
    return _Packer(os.fspath(root), out, layer=False, exclude=exclude).run()


class _Packer:
    def __init__(self, root: str, out: Writable, *, layer: bool,
                 exclude: Collection[str]) -> None:
        self.root = root
        self.layer = layer
        self.exclude = {p.strip("/") for p in exclude}
        self.stats = PackStats()
        self.tar = tarfile.open(  # noqa: SIM115 - closed in run()
            fileobj=cast(IO[bytes], out), mode="w|", format=tarfile.PAX_FORMAT,
            encoding="utf-8", errors="surrogateescape",
        )

    def run(self) -> PackStats:
        try:
            self._walk(self.root, "")
        except OSError as exc:
            raise LayerError(f"pack {self.root}: {exc.strerror or exc}: "
                             f"{exc.filename or ''}") from exc
        finally:
            self.tar.close()
        return self.stats

    def _walk(self, directory: str, prefix: str) -> None:
        with os.scandir(directory) as entries:
            names = sorted((e.name for e in entries), key=os.fsencode)
        for name in names:
            rel = prefix + name
            if rel in self.exclude:
                continue
            path = os.path.join(directory, name)
            st = os.lstat(path)
            if self.layer and stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:
                self._whiteout(prefix + WHITEOUT_PREFIX + name, st)
                continue
            xattrs = _xattrs(path, rel)
            opaque = xattrs.pop(OVERLAY_OPAQUE_XATTR, None) == b"y" and self.layer
            self._add(path, rel, st, xattrs)
            if stat.S_ISDIR(st.st_mode):
                if opaque:
                    self._whiteout(rel + "/" + WHITEOUT_OPAQUE, st)
                self._walk(path, rel + "/")

    def _whiteout(self, name: str, st: os.stat_result) -> None:
        info = tarfile.TarInfo(name)
        info.mode = 0
        info.uid, info.gid = st.st_uid, st.st_gid
        info.mtime = int(st.st_mtime)
        self.tar.addfile(info)
        self.stats.entries += 1
        self.stats.whiteouts += 1

    def _add(self, path: str, rel: str, st: os.stat_result, xattrs: dict[str, bytes]) -> None:
        info = tarfile.TarInfo(rel)
        info.mode = stat.S_IMODE(st.st_mode)
        info.uid, info.gid = st.st_uid, st.st_gid
        info.uname = info.gname = ""
        info.mtime = int(st.st_mtime)
        info.pax_headers = {
            _PAX_XATTR + name: value.decode("utf-8", "surrogateescape")
            for name, value in xattrs.items()
        }
        mode = st.st_mode
        self.stats.entries += 1
        if stat.S_ISDIR(mode):
            info.type = tarfile.DIRTYPE
            self.tar.addfile(info)
        elif stat.S_ISLNK(mode):
            info.type = tarfile.SYMTYPE
            info.linkname = os.fsdecode(os.readlink(path))
            self.tar.addfile(info)
        elif stat.S_ISREG(mode):
            inode = (st.st_dev, st.st_ino)
            first = self.stats._links.get(inode) if st.st_nlink > 1 else None
            if first is not None:
                info.type = tarfile.LNKTYPE
                info.linkname = first
                self.tar.addfile(info)
                return
            if st.st_nlink > 1:
                self.stats._links[inode] = rel
            info.size = st.st_size
            with open(path, "rb") as data:
                self.tar.addfile(info, data)
            self.stats.size += st.st_size
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            info.type = tarfile.CHRTYPE if stat.S_ISCHR(mode) else tarfile.BLKTYPE
            info.devmajor, info.devminor = os.major(st.st_rdev), os.minor(st.st_rdev)
            self.tar.addfile(info)
        elif stat.S_ISFIFO(mode):
            info.type = tarfile.FIFOTYPE
            self.tar.addfile(info)
        else:
            self.stats.entries -= 1  # sockets: tar has no form for them (as GNU tar)


def _xattrs(path: str, rel: str) -> dict[str, bytes]:
    """The xattrs of ``path`` (not followed), overlayfs's own left out except
    the opaque marker; refuses an upper dir that relies on redirects."""
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EPERM):
            return {}
        raise
    out: dict[str, bytes] = {}
    for name in sorted(names):
        if name.startswith(_UNSUPPORTED_OVERLAY):
            raise LayerError(
                f"pack {rel}: it carries {name}, an overlay redirect or metacopy a layer "
                "cannot hold; mount overlays with redirect_dir=off,metacopy=off"
            )
        if name.startswith(_OVERLAY_XATTR_PREFIX) and name != OVERLAY_OPAQUE_XATTR:
            continue
        try:
            out[name] = os.getxattr(path, name, follow_symlinks=False)
        except OSError as exc:
            if exc.errno not in (errno.ENODATA, errno.ENOTSUP, errno.EPERM):
                raise
    return out
