"""Layer unpacking: hostile archives never write outside the layer; real
rootfs metadata (setuid, owners, devices, links, whiteouts, mtimes) survives."""

from __future__ import annotations

import gzip
import io
import os
import stat
import sys
import tarfile
from pathlib import Path

import pytest

from hullbox.errors import LayerError, UnsafeLayer
from hullbox.image.tarlayer import open_layer_stream, unpack_layer

IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root (mknod, chown, trusted.* xattrs)")


def entry(
    name: str, kind: bytes = tarfile.REGTYPE, **attrs: object
) -> tuple[tarfile.TarInfo, bytes]:
    """A member: ``data`` for files, other keyword arguments set TarInfo fields."""
    info = tarfile.TarInfo(name)
    info.type = kind
    data = attrs.pop("data", b"")
    assert isinstance(data, bytes)
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    info.mtime = 1_600_000_000
    for key, value in attrs.items():
        setattr(info, key, value)
    if kind == tarfile.REGTYPE:
        info.size = len(data)
    return info, data


def make_tar(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return buf.getvalue()


@pytest.fixture
def layer(tmp_path: Path) -> Path:
    """The target directory, with a sentinel directory beside it that hostile
    archives aim at."""
    (tmp_path / "sentinel").mkdir()
    target = tmp_path / "layer"
    target.mkdir()
    return target


def unpack(data: bytes, target: Path) -> int:
    return unpack_layer(io.BytesIO(data), target)


def outside_untouched(target: Path) -> None:
    sentinel = target.parent / "sentinel"
    assert list(sentinel.iterdir()) == []
    assert sorted(p.name for p in target.parent.iterdir()) == ["layer", "sentinel"]


# -- hostile archives ------------------------------------------------------
HOSTILE = {
    "dotdot": [entry("../evil", data=b"x")],
    "dotdot-sentinel": [entry("../sentinel/evil", data=b"x")],
    "absolute": [entry("/abs/evil", data=b"x")],
    "climb-after-descending": [entry("a/../../evil", data=b"x")],
    "through-absolute-symlink": [
        entry("l", tarfile.SYMTYPE, linkname="/tmp/somewhere"),
        entry("l/x", data=b"x"),
    ],
    "through-climbing-symlink": [
        entry("l", tarfile.SYMTYPE, linkname="../.."),
        entry("l/x", data=b"x"),
    ],
    "through-symlink-to-sentinel": [
        entry("l", tarfile.SYMTYPE, linkname="../sentinel"),
        entry("l/x", data=b"x"),
    ],
    "through-symlink-chain": [
        entry("d", tarfile.DIRTYPE),
        entry("d/up", tarfile.SYMTYPE, linkname=".."),
        entry("l", tarfile.SYMTYPE, linkname="d/up/d/up/.."),
        entry("l/sentinel/x", data=b"x"),
    ],
    "hardlink-climbing": [entry("x", tarfile.LNKTYPE, linkname="../../etc/passwd")],
    "hardlink-absolute": [entry("x", tarfile.LNKTYPE, linkname="/etc/passwd")],
    "hardlink-through-symlink": [
        entry("etc", tarfile.SYMTYPE, linkname="/etc"),
        entry("x", tarfile.LNKTYPE, linkname="etc/passwd"),
    ],
    "whiteout-through-symlink": [
        entry("l", tarfile.SYMTYPE, linkname="../sentinel"),
        entry("l/.wh.x"),
    ],
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_entries_are_refused(case: str, layer: Path) -> None:
    with pytest.raises(UnsafeLayer) as info:
        unpack(make_tar(*HOSTILE[case]), layer)
    message = str(info.value)
    assert "would" in message and "outside the layer" in message
    assert "the archive is hostile or broken" in message
    assert "\n" not in message
    outside_untouched(layer)


def test_refusal_names_the_entry(layer: Path) -> None:
    with pytest.raises(UnsafeLayer) as info:
        unpack(make_tar(entry("../x", data=b"x")), layer)
    assert str(info.value) == (
        "layer entry '../x' would land outside the layer; the archive is hostile or broken"
    )


def test_symlinks_may_point_outside(layer: Path) -> None:
    unpack(
        make_tar(
            entry("abs", tarfile.SYMTYPE, linkname="/etc/passwd"),
            entry("rel", tarfile.SYMTYPE, linkname="../../x"),
        ),
        layer,
    )
    assert os.readlink(layer / "abs") == "/etc/passwd"
    assert os.readlink(layer / "rel") == "../../x"


def test_relative_symlink_inside_is_traversed(layer: Path) -> None:
    unpack(
        make_tar(
            entry("usr", tarfile.DIRTYPE),
            entry("usr/lib", tarfile.DIRTYPE),
            entry("lib", tarfile.SYMTYPE, linkname="usr/lib"),
            entry("lib/libc.so", data=b"libc"),
            entry("usr/lib/up", tarfile.SYMTYPE, linkname="../.."),
            entry("usr/lib/up/top", data=b"top"),
        ),
        layer,
    )
    assert (layer / "usr/lib/libc.so").read_bytes() == b"libc"
    assert os.path.islink(layer / "lib")
    assert (layer / "top").read_bytes() == b"top"
    outside_untouched(layer)


def test_entry_over_symlink_replaces_the_link_not_its_target(layer: Path) -> None:
    unpack(
        make_tar(entry("l", tarfile.SYMTYPE, linkname="../sentinel/file"), entry("l", data=b"x")),
        layer,
    )
    assert not os.path.islink(layer / "l")
    assert (layer / "l").read_bytes() == b"x"
    outside_untouched(layer)


# -- faithful unpacking ----------------------------------------------------
def test_contents_and_size(layer: Path) -> None:
    size = unpack(
        make_tar(
            entry("a", tarfile.DIRTYPE), entry("a/f", data=b"hello"), entry("b/g", data=b"world!")
        ),
        layer,
    )
    assert size == 11
    assert (layer / "a/f").read_bytes() == b"hello"
    assert (layer / "b/g").read_bytes() == b"world!"  # a missing parent is created


def test_modes_keep_setuid_setgid_sticky(layer: Path) -> None:
    unpack(
        make_tar(
            entry("su", data=b"x", mode=0o4755),
            entry("sg", data=b"x", mode=0o2711),
            entry("tmp", tarfile.DIRTYPE, mode=0o1777),
        ),
        layer,
    )
    assert stat.S_IMODE(os.lstat(layer / "su").st_mode) == 0o4755
    assert stat.S_IMODE(os.lstat(layer / "sg").st_mode) == 0o2711
    assert stat.S_IMODE(os.lstat(layer / "tmp").st_mode) == 0o1777


@needs_root
@pytest.mark.root
def test_owners_are_numeric(layer: Path) -> None:
    unpack(
        make_tar(
            entry("f", data=b"x", uid=1234, gid=5678, uname="nobody-here", gname="x"),
            entry("l", tarfile.SYMTYPE, linkname="f", uid=42, gid=43),
        ),
        layer,
    )
    st = os.lstat(layer / "f")
    assert (st.st_uid, st.st_gid) == (1234, 5678)
    st = os.lstat(layer / "l")
    assert (st.st_uid, st.st_gid) == (42, 43)


def test_hard_links_share_an_inode(layer: Path) -> None:
    unpack(
        make_tar(
            entry("bin/busybox", data=b"bb", mode=0o755),
            entry("bin/sh", tarfile.LNKTYPE, linkname="bin/busybox"),
        ),
        layer,
    )
    assert os.lstat(layer / "bin/sh").st_ino == os.lstat(layer / "bin/busybox").st_ino
    assert os.lstat(layer / "bin/busybox").st_nlink == 2


def test_hard_link_to_missing_file_is_corrupt(layer: Path) -> None:
    with pytest.raises(LayerError, match="hard link to missing 'nothere'"):
        unpack(make_tar(entry("x", tarfile.LNKTYPE, linkname="nothere")), layer)


@needs_root
@pytest.mark.root
def test_devices_and_fifos(layer: Path) -> None:
    unpack(
        make_tar(
            entry("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666),
            entry("dev/loop0", tarfile.BLKTYPE, devmajor=7, devminor=0, mode=0o660),
            entry("run/fifo", tarfile.FIFOTYPE, mode=0o600),
        ),
        layer,
    )
    st = os.lstat(layer / "dev/null")
    assert stat.S_ISCHR(st.st_mode) and os.major(st.st_rdev) == 1 and os.minor(st.st_rdev) == 3
    assert stat.S_IMODE(st.st_mode) == 0o666
    assert stat.S_ISBLK(os.lstat(layer / "dev/loop0").st_mode)
    assert stat.S_ISFIFO(os.lstat(layer / "run/fifo").st_mode)


def test_mtimes_kept_for_files_links_and_directories(layer: Path) -> None:
    unpack(
        make_tar(
            entry("d", tarfile.DIRTYPE, mtime=1_000_000_000),
            entry("d/f", data=b"x", mtime=1_100_000_000),  # would bump d's mtime
            entry("d/l", tarfile.SYMTYPE, linkname="f", mtime=1_200_000_000),
            entry("d/sub", tarfile.DIRTYPE, mtime=1_300_000_000),
            entry("d/sub/g", data=b"y"),
        ),
        layer,
    )
    assert os.lstat(layer / "d").st_mtime == 1_000_000_000
    assert os.lstat(layer / "d/f").st_mtime == 1_100_000_000
    assert os.lstat(layer / "d/l").st_mtime == 1_200_000_000
    assert os.lstat(layer / "d/sub").st_mtime == 1_300_000_000


def test_later_entry_replaces_earlier(layer: Path) -> None:
    unpack(
        make_tar(
            entry("f", data=b"first"),
            entry("f", data=b"second"),
            entry("d", tarfile.DIRTYPE),
            entry("d/inner", data=b"x"),
            entry("d", tarfile.DIRTYPE, mode=0o700),  # over a directory: metadata only
            entry("s", tarfile.DIRTYPE),
            entry("s", tarfile.SYMTYPE, linkname="f"),  # a link over a directory
        ),
        layer,
    )
    assert (layer / "f").read_bytes() == b"second"
    assert (layer / "d/inner").read_bytes() == b"x"
    assert stat.S_IMODE(os.lstat(layer / "d").st_mode) == 0o700
    assert os.readlink(layer / "s") == "f"


def test_root_entry_sets_layer_root_metadata(layer: Path) -> None:
    unpack(
        make_tar(
            entry("./", tarfile.DIRTYPE, mode=0o755, mtime=1_234_567_890),
            entry("./etc/hostname", data=b"box"),
        ),
        layer,
    )
    assert os.lstat(layer).st_mtime == 1_234_567_890
    assert (layer / "etc/hostname").read_bytes() == b"box"


def test_pax_xattrs_are_set(layer: Path) -> None:
    info, data = entry("f", data=b"x")
    info.pax_headers = {"SCHILY.xattr.user.hullbox": "yes"}
    unpack(make_tar((info, data)), layer)
    try:
        value = os.getxattr(layer / "f", "user.hullbox")
    except OSError as exc:  # tmpfs without user xattrs
        pytest.skip(f"user xattrs unsupported here: {exc}")
    assert value == b"yes"


@needs_root
@pytest.mark.root
def test_whiteout_becomes_overlay_char_device(layer: Path) -> None:
    unpack(make_tar(entry("etc", tarfile.DIRTYPE), entry("etc/.wh.motd")), layer)
    st = os.lstat(layer / "etc/motd")
    assert stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(0, 0)
    assert not (layer / "etc/.wh.motd").exists()


@needs_root
@pytest.mark.root
def test_opaque_directory_gets_overlay_xattr(layer: Path) -> None:
    unpack(make_tar(entry("var/cache", tarfile.DIRTYPE), entry("var/cache/.wh..wh..opq")), layer)
    assert os.getxattr(layer / "var/cache", "trusted.overlay.opaque") == b"y"
    assert list((layer / "var/cache").iterdir()) == []


# -- corrupt archives ------------------------------------------------------
def test_truncated_tar_is_corrupt(layer: Path) -> None:
    data = make_tar(entry("big", data=b"z" * 10_000), entry("after", data=b"x"))
    with pytest.raises(LayerError, match="^layer archive is corrupt: "):
        unpack(data[:3000], layer)


def test_garbled_header_after_first_member_is_corrupt(layer: Path) -> None:
    data = bytearray(make_tar(entry("a", data=b"x"), entry("b", data=b"y")))
    data[1024 + 148 : 1024 + 156] = b"garbage!"  # the second header's checksum
    with pytest.raises(LayerError, match="^layer archive is corrupt: "):
        unpack(bytes(data), layer)


def test_empty_stream_is_corrupt(layer: Path) -> None:
    with pytest.raises(LayerError, match="^layer archive is corrupt: "):
        unpack(b"", layer)


def test_corrupt_gzip_is_reported(layer: Path) -> None:
    data = bytearray(gzip.compress(make_tar(entry("f", data=os.urandom(4096)))))
    data[20:40] = b"\xff" * 20
    with (
        pytest.raises(LayerError, match=r"^bad\.tgz is not a valid gzip stream: "),
        open_layer_stream(io.BytesIO(bytes(data)), "bad.tgz") as (stream, _),
    ):
        unpack_layer(stream, layer)


def test_truncated_gzip_is_reported(layer: Path) -> None:
    data = gzip.compress(make_tar(entry("f", data=os.urandom(4096))))
    with (
        pytest.raises(LayerError, match="is not a valid gzip stream"),
        open_layer_stream(io.BytesIO(data[: len(data) // 2])) as (stream, _),
    ):
        unpack_layer(stream, layer)


def test_open_layer_stream_sniffs_not_trusts_names(tmp_path: Path, layer: Path) -> None:
    plain = tmp_path / "looks.tar.gz"
    plain.write_bytes(make_tar(entry("p", data=b"plain")))
    packed = tmp_path / "looks.tar"
    packed.write_bytes(gzip.compress(make_tar(entry("g", data=b"gz"))))
    for path in (plain, packed):
        with open_layer_stream(path) as (stream, _):
            unpack_layer(stream, layer)
    assert (layer / "p").read_bytes() == b"plain"
    assert (layer / "g").read_bytes() == b"gz"


def test_zstd_without_module_says_so(layer: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # zstandard is a dependency; a broken install without it must still say so
    monkeypatch.setitem(sys.modules, "zstandard", None)
    with (
        pytest.raises(LayerError, match="zstandard"),
        open_layer_stream(io.BytesIO(b"\x28\xb5\x2f\xfd" + b"\0" * 32)) as (stream, _),
    ):
        unpack_layer(stream, layer)


# -- streaming -------------------------------------------------------------
def test_chunks_may_split_headers_and_data_anywhere(layer: Path) -> None:
    big = os.urandom(3 * 1024 * 1024 + 7)
    data = make_tar(entry("d", tarfile.DIRTYPE), entry("d/big", data=big),
                    entry("d/" + "long" * 40, data=b"named at length"),
                    entry("d/link", tarfile.SYMTYPE, linkname="big"))
    pieces = [data[i:i + 1000] for i in range(0, len(data), 1000)]
    assert unpack_layer(iter(pieces), layer) == len(big) + len(b"named at length")
    assert (layer / "d" / "big").read_bytes() == big
    assert (layer / "d" / ("long" * 40)).read_bytes() == b"named at length"
    assert os.readlink(layer / "d" / "link") == "big"


def test_gnu_sparse_file_keeps_its_holes(layer: Path) -> None:
    info, _ = entry("sparse", data=b"helloworld")
    info.pax_headers = {"GNU.sparse.map": "0,5,100,5", "GNU.sparse.realsize": "105"}
    unpack(make_tar((info, b"helloworld"), entry("after", data=b"next")), layer)
    assert (layer / "sparse").read_bytes() == b"hello" + b"\0" * 95 + b"world"
    assert (layer / "after").read_bytes() == b"next"


def test_file_cut_short_is_corrupt(layer: Path) -> None:
    data = make_tar(entry("f", data=os.urandom(4096)))
    with pytest.raises(LayerError, match="corrupt: it ends in the middle of an entry"):
        unpack(data[:2048], layer)


def test_empty_stream_is_not_a_layer(layer: Path) -> None:
    with pytest.raises(LayerError, match="corrupt: empty file"):
        unpack(b"", layer)
    assert unpack(b"\0" * 1024, layer) == 0  # an empty archive is a fine layer
