"""The runtime's mount points: made 0755 whatever the umask (init runs with 0)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hullbox.runtime.mounts import make_dirs


def test_every_made_directory_is_0755(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        make_dirs(str(tmp_path / "a" / "b" / "c"))
    finally:
        os.umask(old)
    for path in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o755, path


def test_existing_directories_are_left_alone(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir(mode=0o700)
    make_dirs(str(tmp_path / "a" / "b"))
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    assert (tmp_path / "a" / "b").is_dir()
