"""``cp``'s closing line on a terminal, as docker cp prints it to stderr:
``Successfully copied 2.05kB to /tmp/out``. The size is that of the tar
stream Docker moves (a 512-byte header an entry, file data padded to 512,
two zero blocks at the end), so the figures match docker's."""

from __future__ import annotations

import os
import stat

BLOCK = 512


def _padded(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


def tar_size(path: str, follow: bool = False) -> int:
    """Bytes of the tar of ``path`` (a file, link or a whole tree)."""
    total, seen = 2 * BLOCK, set()
    try:
        top = os.stat(path) if follow else os.lstat(path)
    except OSError:
        return 0
    entries = [top]
    if stat.S_ISDIR(top.st_mode):
        for directory, dirs, files in os.walk(path):
            for name in dirs + files:
                try:
                    entries.append(os.lstat(os.path.join(directory, name)))
                except OSError:
                    continue
    for info in entries:
        total += BLOCK
        if stat.S_ISREG(info.st_mode) and (info.st_dev, info.st_ino) not in seen:
            if info.st_nlink > 1:
                seen.add((info.st_dev, info.st_ino))  # later links are headers only
            total += _padded(info.st_size)
    return total


def copied_to_host(src: str, dest: str) -> str:
    """Where ``cp CONTAINER:SRC DEST`` puts the copy on the host."""
    if os.path.isdir(dest) and not src.endswith("/."):
        return os.path.join(dest, os.path.basename(src.rstrip("/")) or ".")
    return dest
