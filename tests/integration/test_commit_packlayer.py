"""An overlay upper dir becomes a layer tar: deletions as whiteouts, replaced
directories as opaque ones, hard links, symlinks, owners, modes and xattrs
kept; unpacking that tar over the lower gives what the overlay showed."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hullbox.image.packlayer import pack_layer, pack_tree
from hullbox.image.tarlayer import unpack_layer
from hullbox.linux import mounts

pytestmark = pytest.mark.root


def _tree(root: Path) -> dict[str, tuple[object, ...]]:
    """What a user sees in a tree: type, mode, owner, content or link target."""
    out: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            rel = str(path.relative_to(root))
            if path.is_symlink():
                out[rel] = ("link", os.readlink(path), st.st_uid)
            elif path.is_dir():
                out[rel] = ("dir", oct(st.st_mode), st.st_uid, st.st_gid)
            else:
                out[rel] = ("file", oct(st.st_mode), st.st_uid, st.st_gid, path.read_bytes())
    return out


@pytest.fixture
def overlay(tmp_path: Path) -> Iterator[tuple[Path, Path, Path]]:
    """(lower, upper, merged) with the overlay mounted on merged."""
    lower, upper, work, merged = (tmp_path / n for n in ("lower", "upper", "work", "merged"))
    for d in (lower, upper, work, merged):
        d.mkdir()
    (lower / "gone.txt").write_text("old")
    (lower / "keep.txt").write_text("keep")
    (lower / "replaced").mkdir()
    (lower / "replaced" / "old-child").write_text("x")
    (lower / "dir").mkdir()
    (lower / "dir" / "inner-gone").write_text("y")
    mounts.mount("overlay", str(merged), "overlay", 0,
                 f"lowerdir={lower},upperdir={upper},workdir={work}")
    try:
        yield lower, upper, merged
    finally:
        mounts.umount(str(merged), mounts.MNT_DETACH)


def test_upper_dir_round_trips_through_a_layer_tar(
        overlay: tuple[Path, Path, Path], tmp_path: Path) -> None:
    lower, upper, merged = overlay
    (merged / "gone.txt").unlink()
    (merged / "dir" / "inner-gone").unlink()
    subprocess.run(["rm", "-rf", str(merged / "replaced")], check=True)
    (merged / "replaced").mkdir()
    (merged / "replaced" / "new-child").write_text("n")
    (merged / "new.bin").write_bytes(b"\x00\x01data")
    os.chmod(merged / "new.bin", 0o4755)
    os.chown(merged / "new.bin", 1000, 1001)
    os.link(merged / "new.bin", merged / "hardlink.bin")
    os.symlink("../keep.txt", merged / "dir" / "sym")
    os.setxattr(merged / "keep.txt", "user.note", b"kept")
    expected = _tree(merged)

    buf = io.BytesIO()
    stats = pack_layer(upper, buf)
    assert stats.whiteouts >= 3

    with tarfile.open(fileobj=io.BytesIO(buf.getvalue())) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert ".wh.gone.txt" in members
    assert "dir/.wh.inner-gone" in members
    assert "replaced/.wh..wh..opq" in members
    # sorted order: the first name is the file, the later one links to it
    assert members["new.bin"].islnk() and members["new.bin"].linkname == "hardlink.bin"
    assert members["keep.txt"].pax_headers.get("SCHILY.xattr.user.note") == "kept"
    assert not any("trusted.overlay" in k for m in members.values() for k in m.pax_headers)
    names = list(members)
    assert names.index("replaced") < names.index("replaced/.wh..wh..opq") < names.index(
        "replaced/new-child")

    # The same upper packs to the same bytes (stable DiffID).
    again = io.BytesIO()
    pack_layer(upper, again)
    assert again.getvalue() == buf.getvalue()

    # Lower + unpacked layer, stacked again, shows what the overlay showed.
    layer = tmp_path / "layer"
    layer.mkdir()
    unpack_layer(io.BytesIO(buf.getvalue()), layer)
    stacked, work2 = tmp_path / "stacked", tmp_path / "work2"
    stacked.mkdir()
    work2.mkdir()
    mounts.mount("overlay", str(stacked), "overlay", 0, f"lowerdir={layer}:{lower}")
    try:
        assert _tree(stacked) == expected
        assert (stacked / "new.bin").stat().st_ino == (stacked / "hardlink.bin").stat().st_ino
        assert os.getxattr(stacked / "keep.txt", "user.note") == b"kept"
    finally:
        mounts.umount(str(stacked), mounts.MNT_DETACH)


def test_pack_tree_exports_what_is_there(overlay: tuple[Path, Path, Path]) -> None:
    _, _, merged = overlay
    (merged / "gone.txt").unlink()
    buf = io.BytesIO()
    pack_tree(merged, buf, exclude=["dir"])
    with tarfile.open(fileobj=io.BytesIO(buf.getvalue())) as tar:
        names = tar.getnames()
    assert "keep.txt" in names and "replaced/old-child" in names
    assert "gone.txt" not in names and not any(".wh." in n for n in names)
    assert not any(n == "dir" or n.startswith("dir/") for n in names)
