"""COPY and ADD into a step's mounted rootfs.

Paths in the rootfs are resolved with every symlink taken as the container
would take it (an absolute link is relative to the rootfs), so no crafted
link in a layer sends a copy outside. Files from the context belong to root,
files from another stage or image keep their owners (as Docker since 19.03),
and ``--chown`` overrides both; directories made on the way belong to root
(or ``--chown``); permission bits and modification times come from the source.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, cast

from hullbox.build.context import BuildContext
from hullbox.build.runops import CopyOp, CopySource, Download
from hullbox.errors import InvalidArgument, LayerError
from hullbox.image.tarlayer import unpack_layer

_MAX_LINKS = 255


def scoped(root: Path, path: str, *, follow_last: bool = True) -> Path:
    """``path`` inside ``root`` with symlinks resolved within ``root``."""
    todo = [c for c in reversed(path.split("/")) if c]
    done: list[str] = []
    links = 0
    while todo:
        comp = todo.pop()
        if comp == ".":
            continue
        if comp == "..":
            if done:
                done.pop()
            continue
        candidate = root.joinpath(*done, comp)
        if (todo or follow_last) and candidate.is_symlink():
            links += 1
            if links > _MAX_LINKS:
                raise InvalidArgument(f"{path}: too many levels of symbolic links")
            target = os.readlink(candidate)
            if target.startswith("/"):
                done = []
            todo.extend(c for c in reversed(target.split("/")) if c)
            continue
        done.append(comp)
    return root.joinpath(*done)


def lookup_owner(rootfs: Path, spec: str) -> tuple[int, int]:
    """``--chown=user[:group]`` by name or number, from the rootfs's own
    /etc/passwd and /etc/group."""
    user, _, group = spec.partition(":")

    def find(db: str, name: str) -> list[str] | None:
        try:
            lines = scoped(rootfs, f"/etc/{db}").read_text(errors="replace").splitlines()
        except OSError:
            return None
        return next((f for f in (ln.split(":") for ln in lines) if len(f) > 3 and f[0] == name),
                    None)

    def number(db: str, name: str) -> tuple[int, list[str] | None]:
        if name.isdigit():
            return int(name), None
        entry = find(db, name)
        if entry is None:
            raise InvalidArgument(f"--chown={spec}: no {db} entry named {name!r} in the image")
        return int(entry[2]), entry

    uid, entry = number("passwd", user)
    if group:
        return uid, number("group", group)[0]
    return uid, int(entry[3]) if entry is not None else uid


class Copier:
    """One COPY/ADD: sources from the context or another rootfs."""

    def __init__(self, op: CopyOp, rootfs: Path, *, context: BuildContext | None,
                 source_root: Path | None, passwd_root: Path | None = None) -> None:
        self.op = op
        self.rootfs = rootfs
        self.context = context
        self.source_root = source_root
        self.chown = lookup_owner(passwd_root or rootfs, op.chown) if op.chown else None
        self.owner = self.chown or (0, 0)
        self.keep_owners = self.chown is None and source_root is not None

    def run(self) -> None:
        for source in self.op.sources:
            self._one(source)

    def _dest_for(self, name: str) -> Path:
        dest = scoped(self.rootfs, self.op.dest)
        if self.op.dest_is_dir or dest.is_dir():
            self._mkdirs(dest)
            return dest / name
        self._mkdirs(dest.parent)
        return dest

    def _mkdirs(self, path: Path) -> None:
        missing: list[Path] = []
        while not path.exists():
            missing.append(path)
            path = path.parent
        for directory in reversed(missing):
            directory.mkdir(mode=0o755)
            os.chown(directory, *self.owner)

    def _one(self, source: CopySource) -> None:
        if source.data is not None:
            target = self._dest_for(source.path)
            _replace(target)
            target.write_bytes(source.data)
            os.chmod(target, self.op.chmod if self.op.chmod is not None else 0o644)
            os.chown(target, *self.owner)
            return
        if source.download is not None:
            self._downloaded(source.download)
            return
        host = self._source_path(source.path)
        st = host.lstat() if not host.is_dir() else host.stat()
        if stat.S_ISDIR(st.st_mode):
            dest = scoped(self.rootfs, self.op.dest)
            self._mkdirs(dest)
            for rel, path in self._tree(source.path, host):
                self._put(path, dest / rel if rel else dest)
            return
        if self.op.is_add and self.source_root is None and _archive(host) is not None:
            self._extract(host)
            return
        self._put(host, self._dest_for(host.name))

    def _downloaded(self, got: Download) -> None:
        """As Docker: not unpacked, mode 0600, the server's time."""
        target = self._dest_for(got.name)
        if target.is_dir() and not target.is_symlink():
            raise InvalidArgument(f"cannot add {got.name} over the directory "
                                  f"{target.relative_to(self.rootfs)}")
        _replace(target)
        shutil.copyfile(got.local, target)
        os.chown(target, *self.owner)
        os.chmod(target, self.op.chmod if self.op.chmod is not None else 0o600)
        if got.mtime is not None:
            os.utime(target, (got.mtime, got.mtime))

    def _source_path(self, path: str) -> Path:
        if self.source_root is not None:
            found = scoped(self.source_root, path)
            if not os.path.lexists(found):
                raise InvalidArgument(f"COPY --from: {path} not found in the source stage")
            return found
        assert self.context is not None
        return self.context.path(path)

    def _tree(self, rel: str, host: Path) -> Iterator[tuple[str, Path]]:
        """(path below the source, host path), parents first."""
        if self.context is not None and self.source_root is None:
            prefix = "" if rel == "." else rel + "/"
            for child, _ in self.context.walk(rel):
                yield ("" if child == rel else child[len(prefix):]), self.context.path(child)
            return
        yield "", host
        for dirpath, dirnames, filenames in os.walk(host):
            dirnames.sort()
            for name in sorted(dirnames + filenames):
                path = Path(dirpath) / name
                yield str(path.relative_to(host)), path

    def _put(self, src: Path, target: Path) -> None:
        st = src.lstat()
        if stat.S_ISDIR(st.st_mode):
            if target.is_symlink() or (target.exists() and not target.is_dir()):
                _replace(target)
            if not target.exists():
                target.mkdir()
        else:
            if target.is_dir() and not target.is_symlink():
                raise InvalidArgument(f"cannot copy {src.name} over the directory "
                                      f"{target.relative_to(self.rootfs)}")
            _replace(target)
            if stat.S_ISLNK(st.st_mode):
                os.symlink(os.readlink(src), target)
            else:
                shutil.copyfile(src, target, follow_symlinks=False)
        os.lchown(target, *((st.st_uid, st.st_gid) if self.keep_owners else self.owner))
        if not stat.S_ISLNK(st.st_mode):
            mode = self.op.chmod if self.op.chmod is not None else stat.S_IMODE(st.st_mode)
            os.chmod(target, mode)
        os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)

    def _extract(self, archive: Path) -> None:
        dest = scoped(self.rootfs, self.op.dest)
        self._mkdirs(dest)
        kind = _archive(archive)
        assert kind is not None
        try:
            with _open_archive(archive, kind) as stream:
                unpack_layer(stream, dest)
        except (OSError, EOFError, LayerError) as exc:
            raise InvalidArgument(f"ADD {archive.name}: cannot unpack it: {exc}") from exc


def _replace(target: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()


_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz"}


def _archive(path: Path) -> str | None:
    """The compression of ``path`` when it is a tar ADD unpacks ("" for a
    plain tar), else None (Docker's ADD does not unpack zstd)."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:
        return None
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    if len(head) == 512 and head[257:262] == b"ustar":
        return ""
    return None


def _open_archive(path: Path, kind: str) -> IO[bytes]:
    if kind == "gzip":
        return cast(IO[bytes], gzip.open(path, "rb"))
    if kind == "bz2":
        return bz2.open(path, "rb")
    if kind == "xz":
        return lzma.open(path, "rb")
    return open(path, "rb")
