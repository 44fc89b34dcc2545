"""Image verbs of the foundation: import, images, tag, rmi, image inspect."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from .conftest import Hullbox

pytestmark = pytest.mark.root


def test_images_lists_the_import(hullbox: Hullbox) -> None:
    lines = hullbox.ok("images").splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    row = next(line.split() for line in lines[1:] if line.startswith("busybox "))
    assert row[:2] == ["busybox", "latest"]
    assert len(row[2]) == 12


def test_import_gzip_and_stdin(hullbox: Hullbox, busybox_tar: Path, tmp_path: Path) -> None:
    gz = tmp_path / "rootfs.tar.gz"
    gz.write_bytes(gzip.compress(busybox_tar.read_bytes()))
    hullbox.ok("import", str(gz), "gzbox:1")
    hullbox.ok("import", "-", "stdinbox:1", input=busybox_tar.read_bytes())
    listing = hullbox.ok("images")
    assert "gzbox" in listing and "stdinbox" in listing
    assert hullbox.ok("run", "--rm", "stdinbox:1", "echo", "ok") == "ok\n"
    for name in ("gzbox:1", "stdinbox:1"):
        hullbox.ok("rmi", name)


def test_tag_rmi_and_inspect(hullbox: Hullbox) -> None:
    hullbox.ok("tag", "busybox", "mybox:1")
    assert "mybox" in hullbox.ok("images")
    info = json.loads(hullbox.ok("image", "inspect", "mybox:1"))[0]
    assert sorted(info["RepoTags"]) == ["busybox:latest", "mybox:1"]
    assert info["Os"] == "linux" and info["RootFS"]["Type"] == "layers"
    assert hullbox.ok("rmi", "mybox:1") == "Untagged: mybox:1\n"
    assert "mybox" not in hullbox.ok("images")
    assert hullbox("image", "inspect", "mybox:1").returncode == 1


def _hostile_tar(name: str, *, symlink: tuple[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        if symlink:
            link = tarfile.TarInfo(symlink[0])
            link.type, link.linkname = tarfile.SYMTYPE, symlink[1]
            tar.addfile(link)
        data = b"pwned\n"
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize(
    ("entry", "symlink"),
    [
        ("../escaped", None),
        ("/abs-escaped", None),
        ("out/escaped", ("out", "/tmp")),
        ("up/escaped", ("up", "../../../..")),
    ],
)
def test_hostile_tar_is_refused_and_leaves_nothing(
    hullbox: Hullbox, tmp_path: Path, entry: str, symlink: tuple[str, str] | None
) -> None:
    before = hullbox.ok("images", "-q")
    bad = tmp_path / "hostile.tar"
    bad.write_bytes(_hostile_tar(entry, symlink=symlink))
    result = hullbox("import", str(bad), "hostile:1")
    assert result.returncode == 125
    assert len(result.stderr.strip().splitlines()) == 1
    assert hullbox.ok("images", "-q") == before
    assert not Path("/tmp/escaped").exists()
    assert not any((hullbox.root / "tmp").iterdir())


def test_corrupt_gzip_is_refused(hullbox: Hullbox, tmp_path: Path) -> None:
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(gzip.compress(b"x" * 5000)[:40])
    result = hullbox("import", str(bad), "corrupt:1")
    assert result.returncode == 125
    assert result.stderr.startswith("hullbox: ")
    assert "corrupt" not in hullbox.ok("images")
