"""The command of a microVM looked up in the image on the host, before the
guest starts, so a missing or unrunnable one fails with the same line and
exit code as in a container (127 or 126) and no QEMU is started.

Only where the host sees what the guest will: the image alone (a ``--rm``
run or a kept container's first start) with no volume that could bring the
command; otherwise the guest's own exec reports it.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Sequence
from pathlib import Path

from hullbox.errors import CommandNotFound, CommandNotInvokable
from hullbox.vm.micro.warm import DEFAULT_PATH, resolve_in_root


def check_command(root: Path, args: Sequence[str], env: Sequence[str], cwd: str) -> None:
    """Raise what a container's start would for ``args[0]`` in ``root``."""
    if not args:
        return
    name = args[0]
    if "/" in name:
        path = posixpath.normpath(posixpath.join(cwd or "/", name))
        found = resolve_in_root(root, path)
        if found is None:
            if _is_dir(root, path):
                raise CommandNotInvokable(f'exec "{name}": permission denied')
            raise CommandNotFound(f'exec "{name}": no such file or directory')
        if not _executable(root, found):
            raise CommandNotInvokable(f'exec "{name}": permission denied')
        return
    search = next((item[5:] for item in env if item.startswith("PATH=")), DEFAULT_PATH)
    for directory in search.split(":"):
        if not directory.startswith("/"):
            continue
        found = resolve_in_root(root, posixpath.join(directory, name))
        if found is not None and _executable(root, found):
            return
    raise CommandNotFound(f'exec "{name}": executable file not found in $PATH')


def _executable(root: Path, path: str) -> bool:
    return (os.stat(root / path.lstrip("/")).st_mode & 0o111) != 0


def _is_dir(root: Path, path: str) -> bool:
    """``path`` is a directory in ``root`` (only its wording depends on it)."""
    host = root / path.lstrip("/")
    return host.is_dir() and not host.is_symlink()
