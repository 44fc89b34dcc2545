"""Which of an image's files an image snapshot reads ahead: the command's
executable, its ELF interpreter, the C library and /bin/sh.

A restored guest that reads a file from its disk runs the block and ext4
read paths for the first time in that QEMU (costly under TCG) and waits for
the data; a file read before the save is in the page cache the snapshot
holds. Paths are resolved the way the guest sees them: symlinks inside the
image's root, never the host's.
"""

from __future__ import annotations

import os
import posixpath
import struct
from collections.abc import Sequence
from pathlib import Path

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_LIBC_NAMES = ("libc.so.6", "libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1")
_LIB_DIRS = ("lib", "lib64", "usr/lib", "usr/lib64", "lib/x86_64-linux-gnu",
             "usr/lib/x86_64-linux-gnu")
_MAX_FILE = 64 << 20
_PT_INTERP = 3


def resolve_in_root(root: Path, path: str, hops: int = 40) -> str | None:
    """``path`` with every symlink followed inside ``root`` (as a chroot
    would); None when it does not lead to a regular file."""
    parts = [part for part in path.split("/") if part]
    done = "/"
    while parts:
        part = parts.pop(0)
        if part == "..":
            done = posixpath.dirname(done)
            continue
        if part == ".":
            continue
        candidate = posixpath.join(done, part)
        host = root / candidate.lstrip("/")
        if host.is_symlink():
            hops -= 1
            if hops < 0:
                return None
            target = os.readlink(host)
            parts = [p for p in target.split("/") if p] + parts
            done = "/" if target.startswith("/") else done
            continue
        done = candidate
    host = root / done.lstrip("/")
    return done if host.is_file() and not host.is_symlink() else None


def _interpreter(host: Path) -> str | None:
    """The PT_INTERP of a 64-bit little-endian ELF executable, if it has one."""
    try:
        with host.open("rb") as handle:
            header = handle.read(64)
            if header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
                return None
            phoff, = struct.unpack_from("<Q", header, 32)
            phentsize, phnum = struct.unpack_from("<HH", header, 54)
            handle.seek(phoff)
            table = handle.read(phentsize * phnum)
            for index in range(phnum):
                kind, = struct.unpack_from("<I", table, index * phentsize)
                if kind == _PT_INTERP:
                    offset, = struct.unpack_from("<Q", table, index * phentsize + 8)
                    size, = struct.unpack_from("<Q", table, index * phentsize + 32)
                    handle.seek(offset)
                    return handle.read(min(size, 4096)).split(b"\0", 1)[0].decode()
    except (OSError, struct.error, UnicodeDecodeError):
        return None
    return None


def _executable(root: Path, name: str, env: Sequence[str]) -> str | None:
    if "/" in name:
        return resolve_in_root(root, name)
    path = next((item[5:] for item in env if item.startswith("PATH=")), DEFAULT_PATH)
    for directory in path.split(":"):
        if directory.startswith("/"):
            found = resolve_in_root(root, posixpath.join(directory, name))
            if found is not None:
                return found
    return None


def warm_files(root: Path, args: Sequence[str], env: Sequence[str]) -> list[str]:
    """Paths in the image (as the guest names them) worth reading ahead."""
    wanted: list[str | None] = [_executable(root, args[0], env) if args else None,
                                resolve_in_root(root, "/bin/sh")]
    for found in list(wanted):
        if found is not None:
            interpreter = _interpreter(root / found.lstrip("/"))
            wanted.append(resolve_in_root(root, interpreter) if interpreter else None)
    for directory in _LIB_DIRS:
        wanted += [resolve_in_root(root, f"/{directory}/{name}") for name in _LIBC_NAMES]
    unique: list[str] = []
    for path in wanted:
        if path is not None and path not in unique and \
                (root / path.lstrip("/")).stat().st_size <= _MAX_FILE:
            unique.append(path)
    return unique
