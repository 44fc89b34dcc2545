"""``hullbox import``: a rootfs tar becomes a one-layer image in the store, in
one pass, and a failed import leaves nothing behind."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import sqlite3
from pathlib import Path

import pytest

from hullbox.errors import InvalidArgument, InvalidReference, LayerError, UnsafeLayer
from hullbox.image.importer import import_rootfs
from hullbox.oci.image import MEDIA_CONFIG, MEDIA_LAYER, MEDIA_LAYER_GZIP
from hullbox.store import images as image_db
from hullbox.store.store import Store

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "rootfs"


def make_rootfs() -> bytes:
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in (("etc/hostname", b"box\n"), ("bin/hello", b"#!/bin/sh\necho hi\n")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("bin/hi")
        link.type = tarfile.SYMTYPE
        link.linkname = "hello"
        tar.addfile(link)
    return buf.getvalue()


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store")


def blob_json(store: Store, digest: str) -> dict[str, object]:
    data = store.read_blob(digest)
    assert sha(data) == digest
    loaded = json.loads(data)
    assert isinstance(loaded, dict)
    return loaded


def assert_store_empty(store: Store) -> None:
    for table in ("images", "tags", "layers"):
        assert store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    for sub in ("layers", "blobs/sha256", "tmp"):
        path = store.root / sub
        assert not path.exists() or list(path.iterdir()) == [], sub


def test_import_plain_tar(store: Store, tmp_path: Path) -> None:
    tar = make_rootfs()
    path = tmp_path / "rootfs.tar"
    path.write_bytes(tar)

    image = import_rootfs(store, path, "app:1", message="first import")

    assert image.tags == ("docker.io/library/app:1",)
    assert [i.id for i in image_db.list_images(store)] == [image.id]
    assert image.size == len(b"box\n") + len(b"#!/bin/sh\necho hi\n")

    manifest = blob_json(store, image.manifest_digest)
    assert manifest["config"] == {
        "mediaType": MEDIA_CONFIG,
        "digest": image.id,
        "size": len(store.read_blob(image.id)),
    }
    assert manifest["layers"] == [{"mediaType": MEDIA_LAYER, "digest": sha(tar), "size": len(tar)}]
    assert store.read_blob(sha(tar)) == tar  # the bytes as given

    config = blob_json(store, image.id)
    assert config["rootfs"] == {"type": "layers", "diff_ids": [sha(tar)]}
    assert config["config"] == {}  # docker import: no Env, no Cmd
    assert (config["os"], config["architecture"]) == ("linux", "amd64")
    created = config["created"]
    assert isinstance(created, str) and created.endswith("Z") and created == image.created
    assert config["history"] == [
        {"created": created, "created_by": "hullbox import", "comment": "first import"}
    ]

    diff = store.layer_dir(sha(tar))
    assert (diff / "etc/hostname").read_bytes() == b"box\n"
    assert (diff / "bin/hi").readlink() == Path("hello")
    layers = image_db.layer_chain(store, sha(tar))
    assert [(lr.chain_id, lr.diff_id, lr.parent) for lr in layers] == [(sha(tar), sha(tar), None)]
    assert list((store.root / "tmp").iterdir()) == []


def test_import_gzip_sniffed_not_named(store: Store, tmp_path: Path) -> None:
    tar = make_rootfs()
    packed = gzip.compress(tar)
    path = tmp_path / "rootfs.tar"  # a misleading name
    path.write_bytes(packed)

    image = import_rootfs(store, path)

    manifest = blob_json(store, image.manifest_digest)
    assert manifest["layers"] == [
        {"mediaType": MEDIA_LAYER_GZIP, "digest": sha(packed), "size": len(packed)}
    ]
    assert blob_json(store, image.id)["rootfs"] == {"type": "layers", "diff_ids": [sha(tar)]}
    assert image.tags == ()
    assert (store.layer_dir(sha(tar)) / "etc/hostname").exists()


def test_import_from_file_object_with_changes(store: Store) -> None:
    tar = make_rootfs()
    image = import_rootfs(
        store,
        io.BytesIO(gzip.compress(tar)),
        "localhost:5000/app",
        changes=[
            'CMD ["/bin/hello"]',
            'ENV A=1 B="two words"',
            "EXPOSE 80 53/udp",
            "LABEL org.example=yes",
            "USER 1000:1000",
            "VOLUME /data",
            "WORKDIR /srv",
            "STOPSIGNAL SIGINT",
        ],
    )
    assert image.tags == ("localhost:5000/app:latest",)
    assert blob_json(store, image.id)["config"] == {
        "Cmd": ["/bin/hello"],
        "Env": ["A=1", "B=two words"],
        "ExposedPorts": {"80/tcp": {}, "53/udp": {}},
        "Labels": {"org.example": "yes"},
        "User": "1000:1000",
        "Volumes": {"/data": {}},
        "WorkingDir": "/srv",
        "StopSignal": "SIGINT",
    }


def test_shell_form_cmd(store: Store) -> None:
    image = import_rootfs(store, io.BytesIO(make_rootfs()), changes=["CMD echo hi"])
    assert blob_json(store, image.id)["config"] == {"Cmd": ["/bin/sh", "-c", "echo hi"]}


def test_import_twice_shares_the_layer(store: Store) -> None:
    tar = make_rootfs()
    first = import_rootfs(store, io.BytesIO(tar), "a")
    second = import_rootfs(store, io.BytesIO(gzip.compress(tar)), "b")
    assert first.id != second.id  # created differs, as with docker import
    assert [p.name for p in store.layers_dir.iterdir()] == [sha(tar).removeprefix("sha256:")]
    assert store.db.execute("SELECT count(*) FROM layers").fetchone()[0] == 1
    assert list((store.root / "tmp").iterdir()) == []


def test_import_from_stdin(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    class Stdin:
        buffer = io.BytesIO(make_rootfs())

    monkeypatch.setattr("sys.stdin", Stdin)
    image = import_rootfs(store, "-", "from-stdin")
    assert image.tags == ("docker.io/library/from-stdin:latest",)


# -- failures leave nothing ------------------------------------------------
def hostile_tar() -> bytes:
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        good = tarfile.TarInfo("ok")
        tar.addfile(good, io.BytesIO(b""))
        evil = tarfile.TarInfo("../evil")
        tar.addfile(evil, io.BytesIO(b""))
    return buf.getvalue()


@pytest.mark.parametrize(
    ("source", "error"),
    [
        (lambda: io.BytesIO(hostile_tar()), UnsafeLayer),
        (lambda: io.BytesIO(make_rootfs()[:700]), LayerError),
        (lambda: io.BytesIO(gzip.compress(make_rootfs())[:-30]), LayerError),
        (lambda: io.BytesIO(b""), LayerError),
    ],
    ids=["hostile", "truncated-tar", "truncated-gzip", "empty"],
)
def test_failed_import_leaves_store_empty(
    store: Store, source: object, error: type[Exception]
) -> None:
    assert callable(source)
    with pytest.raises(error):
        import_rootfs(store, source(), "app")
    assert_store_empty(store)


def test_bad_change_is_refused_before_reading(store: Store) -> None:
    with pytest.raises(InvalidArgument, match=r"invalid change 'RUN rm -rf /'.*RUN is not"):
        import_rootfs(store, io.BytesIO(make_rootfs()), changes=["RUN rm -rf /"])
    with pytest.raises(InvalidArgument, match="EXPOSE"):
        import_rootfs(store, io.BytesIO(make_rootfs()), changes=["EXPOSE http"])
    assert_store_empty(store)


def test_bad_reference_is_refused(store: Store) -> None:
    with pytest.raises(InvalidReference):
        import_rootfs(store, io.BytesIO(make_rootfs()), "Bad:Name")
    with pytest.raises(InvalidArgument, match="digest"):
        import_rootfs(store, io.BytesIO(make_rootfs()), "app@sha256:" + "a" * 64)
    assert_store_empty(store)


def test_missing_file(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="No such file"):
        import_rootfs(store, tmp_path / "absent.tar")
    assert_store_empty(store)


def test_failure_recording_the_image_undoes_files(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr("hullbox.image.importer.add_image", broken)
    with pytest.raises(sqlite3.OperationalError):
        import_rootfs(store, io.BytesIO(make_rootfs()), "app")
    assert_store_empty(store)


def test_failed_reimport_keeps_existing_layer_and_blobs(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    tar = make_rootfs()
    first = import_rootfs(store, io.BytesIO(tar), "a")

    def broken(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr("hullbox.image.importer.add_image", broken)
    with pytest.raises(sqlite3.OperationalError):
        import_rootfs(store, io.BytesIO(tar), "b")
    assert store.has_layer(sha(tar))
    assert store.has_blob(sha(tar)) and store.has_blob(first.manifest_digest)


# -- real root filesystems -------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expect"),
    [
        ("alpine-minirootfs-3.20.3-x86_64.tar.gz", "etc/os-release"),
        ("busybox-1.38.0-musl-amd64-rootfs.tar.gz", "bin/busybox"),
    ],
)
def test_import_real_rootfs(store: Store, name: str, expect: str) -> None:
    path = CORPORA / name
    if not path.exists():
        pytest.skip(f"rootfs corpus not present: {path}")
    image = import_rootfs(store, path, "real")
    config = blob_json(store, image.id)
    diff_ids = config["rootfs"]["diff_ids"]  # type: ignore[index]
    assert (store.layer_dir(diff_ids[0]) / expect).exists()
    manifest = blob_json(store, image.manifest_digest)
    layer = manifest["layers"][0]  # type: ignore[index]
    assert layer["digest"] == sha(path.read_bytes())
    assert layer["mediaType"] == MEDIA_LAYER_GZIP
    assert diff_ids[0] == sha(gzip.decompress(path.read_bytes()))
