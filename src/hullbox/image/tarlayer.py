"""Unpacking a layer tar into a directory, safely and faithfully.

Safe: no entry can create, replace or link anything outside ``target``, however
the archive is crafted (absolute names, ``..``, symlinks planted earlier in the
same archive and then walked through). Symlinks may *point* anywhere — they are
resolved inside the container later — but are only *traversed* here when their
target resolves inside the layer, scoped like securejoin.

Faithful: tarfile's own extraction (and its ``data`` filter) would drop setuid
bits and device nodes that a root filesystem needs, so the writing is done here:
modes, numeric owners, mtimes, hard links, devices, fifos and PAX xattrs are kept,
and OCI whiteouts become overlayfs whiteouts, because layers are mounted as
overlay lower directories.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from hullbox.errors import LayerError, UnsafeLayer
from hullbox.image.compression import open_layer_stream
from hullbox.image.tarstream import TarStream, chunks_of

__all__ = ["open_layer_stream", "unpack_layer"]

WHITEOUT_PREFIX = ".wh."
WHITEOUT_META_PREFIX = ".wh..wh."
WHITEOUT_OPAQUE = ".wh..wh..opq"
OVERLAY_OPAQUE_XATTR = "trusted.overlay.opaque"
_PAX_XATTR = "SCHILY.xattr."
_MAX_SYMLINKS = 255  # as securejoin: enough for real trees, stops loops


def unpack_layer(stream: IO[bytes] | Iterable[bytes], target: Path) -> int:
    """Unpack the uncompressed tar ``stream`` (a file object, or an iterable
    of chunks) into the existing directory ``target``; return the unpacked
    size (bytes of regular files). Bytes after the end-of-archive marker may
    be read from ``stream`` but are left unread in an iterable's iterator.

    Raises UnsafeLayer for an entry that would land outside ``target`` and
    LayerError for a corrupt or truncated archive.
    """
    unpacker = _Unpacker(Path(target))
    tar = TarStream(chunks_of(stream))
    for member in tar.members():
        unpacker.add(tar, member)
    unpacker.finish()
    return unpacker.size


def _unsafe(name: str) -> UnsafeLayer:
    return UnsafeLayer(
        f"layer entry {name!r} would land outside the layer; the archive is hostile or broken"
    )


def _clean(name: str, entry: str) -> list[str]:
    """The components of a member name, lexically cleaned (like Go's
    filepath.Clean); absolute names and names climbing above the root are
    refused rather than rebased."""
    if name.startswith("/"):
        raise _unsafe(entry)
    parts: list[str] = []
    for comp in name.split("/"):
        if comp in ("", "."):
            continue
        if comp == "..":
            if not parts:
                raise _unsafe(entry)
            parts.pop()
        else:
            parts.append(comp)
    return parts


@dataclass
class _DirMeta:
    mode: int
    mtime: float


class _Unpacker:
    """The state of one unpacking: the target, the size so far, and directory
    metadata deferred to the end (adding children changes a directory's mtime,
    and a read-only mode would stop a non-root unpacker filling it)."""

    def __init__(self, target: Path) -> None:
        self.root = str(target)
        self.size = 0
        self.dirs: dict[str, _DirMeta] = {}
        self.is_root = os.geteuid() == 0

    # -- path resolution ---------------------------------------------------
    def _resolve(self, parts: list[str], entry: str) -> list[str]:
        """Resolve ``parts`` below the root following symlinks, each scoped to the
        root; components past the first missing one are kept as they are.
        A symlink that leads outside (absolute, or too many ``..``) is refused."""
        todo = list(reversed(parts))
        done: list[str] = []
        links = 0
        missing = False
        while todo:
            comp = todo.pop()
            if comp in ("", "."):
                continue
            if comp == "..":
                if not done:
                    raise _unsafe(entry)
                done.pop()
                continue
            path = os.path.join(self.root, *done, comp)
            if missing:
                done.append(comp)
                continue
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                missing = True
                done.append(comp)
                continue
            if stat.S_ISLNK(st.st_mode):
                links += 1
                if links > _MAX_SYMLINKS:
                    raise LayerError(f"layer entry {entry!r}: too many levels of symbolic links")
                dest = os.readlink(path)
                if dest.startswith("/"):
                    raise _unsafe(entry)
                todo.extend(reversed(dest.split("/")))
                continue
            if not stat.S_ISDIR(st.st_mode):
                raise LayerError(
                    f"layer entry {entry!r}: {'/'.join([*done, comp])} is not a directory"
                )
            done.append(comp)
        return done

    def _place(self, parts: list[str], entry: str) -> str:
        """The host path for cleaned name ``parts``: the parent resolved and
        created when missing; the last component is never followed."""
        if not parts:
            return self.root
        parent = self._resolve(parts[:-1], entry)
        self._mkdirs(parent)
        return os.path.join(self.root, *parent, parts[-1])

    def _mkdirs(self, parts: list[str]) -> None:
        path = self.root
        for comp in parts:
            path = os.path.join(path, comp)
            with contextlib.suppress(FileExistsError):
                os.mkdir(path, 0o755)

    # -- entries -----------------------------------------------------------
    def add(self, archive: TarStream, member: tarfile.TarInfo) -> None:
        """Unpack one member."""
        parts = _clean(member.name, member.name)
        if parts and parts[-1].startswith(WHITEOUT_PREFIX):
            self._whiteout(member, parts)
            return
        path = self._place(parts, member.name)
        try:
            self._create(archive, member, path)
        except OSError as exc:
            raise LayerError(f"layer entry {member.name!r}: {exc.strerror or exc}") from exc

    def _create(self, archive: TarStream, member: tarfile.TarInfo, path: str) -> None:
        if member.isdir():
            self._replace(path, keep_dir=True)
            if not os.path.lexists(path):
                os.mkdir(path, 0o700)  # the final mode comes in finish()
            self._owner(member, path)
            self._xattrs(member, path)
            self.dirs[path] = _DirMeta(stat.S_IMODE(member.mode), member.mtime)
            return
        if path == self.root:
            raise LayerError(f"layer entry {member.name!r}: the layer root must be a directory")
        self._replace(path, keep_dir=False)
        if member.islnk():
            self._hardlink(member, path)
            return  # a hard link shares its source's inode and metadata
        if member.issym():
            os.symlink(member.linkname, path)
        elif member.isreg():
            self._write_file(archive, member, path)
            self.size += member.size
        elif member.ischr() or member.isblk() or member.isfifo():
            kind = (
                stat.S_IFCHR
                if member.ischr()
                else stat.S_IFBLK
                if member.isblk()
                else (stat.S_IFIFO)
            )
            os.mknod(path, kind | 0o600, os.makedev(member.devmajor, member.devminor))
        else:
            raise LayerError(
                f"layer entry {member.name!r}: unsupported tar entry type {member.type!r}"
            )
        self._owner(member, path)
        if not member.issym():
            # after chown, which clears setuid/setgid
            os.chmod(path, stat.S_IMODE(member.mode))
        self._xattrs(member, path)
        os.utime(path, (member.mtime, member.mtime), follow_symlinks=False)

    def _replace(self, path: str, *, keep_dir: bool) -> None:
        """Tar semantics: a later entry replaces an earlier one of the same name;
        a directory over a directory only updates its metadata."""
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(st.st_mode):
            if keep_dir:
                return
            if path == self.root:
                raise LayerError("layer root must stay a directory")
            shutil.rmtree(path)
            self.dirs = {p: m for p, m in self.dirs.items() if not _within(p, path)}
        else:
            os.unlink(path)

    def _write_file(self, archive: TarStream, member: tarfile.TarInfo, path: str) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(path, flags, 0o600)
        try:
            # typeshed has it as bytes; tarfile makes it (offset, size) pairs
            runs: list[tuple[int, int]] | None = getattr(member, "sparse", None)
            if runs is None:
                _write_all(fd, archive.data(member.size))
                return
            # A sparse file's data is its non-hole runs, back to back.
            for offset, length in runs:
                os.lseek(fd, offset, os.SEEK_SET)
                _write_all(fd, archive.data(length))
            os.ftruncate(fd, member.size)
        finally:
            os.close(fd)

    def _hardlink(self, member: tarfile.TarInfo, path: str) -> None:
        parts = _clean(member.linkname, member.name)
        if not parts:
            raise LayerError(f"layer entry {member.name!r}: a hard link to the layer root")
        parent = self._resolve(parts[:-1], member.name)
        source = os.path.join(self.root, *parent, parts[-1])
        try:
            st = os.lstat(source)
        except FileNotFoundError as exc:
            raise LayerError(
                f"layer entry {member.name!r}: hard link to missing {member.linkname!r}"
            ) from exc
        if stat.S_ISDIR(st.st_mode):
            raise LayerError(
                f"layer entry {member.name!r}: hard link to directory {member.linkname!r}"
            )
        os.link(source, path, follow_symlinks=False)

    def _owner(self, member: tarfile.TarInfo, path: str) -> None:
        try:
            os.lchown(path, member.uid, member.gid)
        except PermissionError:
            # Only root may give files away; an unprivileged unpack keeps its own ids.
            if self.is_root:
                raise

    def _xattrs(self, member: tarfile.TarInfo, path: str) -> None:
        for key, value in member.pax_headers.items():
            if not key.startswith(_PAX_XATTR):
                continue
            name = key[len(_PAX_XATTR) :]
            # tarfile decodes PAX values with surrogateescape: binary values
            # such as security.capability come back byte for byte.
            data = value.encode("utf-8", "surrogateescape")
            try:
                os.setxattr(path, name, data, follow_symlinks=False)
            except OSError as exc:
                if exc.errno not in (errno.EOPNOTSUPP, errno.EPERM):
                    raise

    # -- whiteouts ---------------------------------------------------------
    def _whiteout(self, member: tarfile.TarInfo, parts: list[str]) -> None:
        base = parts[-1]
        parent = self._resolve(parts[:-1], member.name)
        self._mkdirs(parent)
        parent_path = os.path.join(self.root, *parent)
        try:
            if base == WHITEOUT_OPAQUE:
                os.setxattr(parent_path, OVERLAY_OPAQUE_XATTR, b"y", follow_symlinks=False)
                return
            if base.startswith(WHITEOUT_META_PREFIX):
                return  # aufs bookkeeping (.wh..wh.plnk and the like): nothing to apply
            hidden = base[len(WHITEOUT_PREFIX) :]
            if hidden in ("", ".", ".."):
                raise LayerError(f"layer entry {member.name!r}: a whiteout of nothing")
            path = os.path.join(parent_path, hidden)
            self._replace(path, keep_dir=False)
            # overlayfs's whiteout: a 0/0 character device with the hidden name
            os.mknod(path, stat.S_IFCHR | 0o000, os.makedev(0, 0))
            self._owner(member, path)
        except OSError as exc:
            hint = " (overlay whiteouts need root)" if exc.errno == errno.EPERM else ""
            raise LayerError(f"layer entry {member.name!r}: {exc.strerror or exc}{hint}") from exc

    # -- end ---------------------------------------------------------------
    def finish(self) -> None:
        """Apply directory modes and mtimes, deepest first, now that nothing
        more is created inside them."""
        for path in sorted(self.dirs, key=len, reverse=True):
            meta = self.dirs[path]
            try:
                if not stat.S_ISDIR(os.lstat(path).st_mode):
                    continue
                os.chmod(path, meta.mode)
                os.utime(path, (meta.mtime, meta.mtime), follow_symlinks=False)
            except OSError as exc:
                raise LayerError(f"layer directory {path}: {exc.strerror or exc}") from exc


def _write_all(fd: int, views: Iterable[memoryview]) -> None:
    for view in views:
        while view:
            view = view[os.write(fd, view):]


def _within(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")
