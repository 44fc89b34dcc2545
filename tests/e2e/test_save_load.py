"""``save`` and ``load``: docker-archive and OCI layouts, read and written, with
skopeo (containers/image, what podman uses) as the independent peer."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Hullbox

pytestmark = pytest.mark.root

TARBALLS = "images/go-containerregistry/pkg/v1/tarball/testdata"
BUSYBOX_LAYOUT = "images/busybox-1.38.0-musl-amd64-oci-layout"


def _skopeo() -> str:
    found = shutil.which("skopeo")
    if found is None:
        pytest.skip("skopeo is not installed (apt-get install skopeo; make test installs it)")
    return found


@pytest.fixture
def other(new_store: Callable[[str], Hullbox]) -> Hullbox:
    """A second, empty store: what "another machine" loads into."""
    return new_store("other-store")


def test_save_then_load_into_another_store_runs(hullbox: Hullbox, other: Hullbox,
                                                tmp_path: Path) -> None:
    hullbox.ok("tag", "busybox", "saved:1")
    archive = tmp_path / "app.tar"
    hullbox.ok("save", "-o", str(archive), "saved:1")
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        names = set(tar.getnames())
    assert manifest[0]["RepoTags"] == ["saved:1"]
    assert {"oci-layout", "index.json", "repositories"} <= names
    assert other.ok("load", "-i", str(archive)) == "Loaded image: saved:1\n"
    assert other.ok("run", "--rm", "saved:1", "echo", "loaded") == "loaded\n"
    image_id = hullbox.ok("image", "inspect", "-f", "{{.Id}}", "saved:1")
    assert other.ok("image", "inspect", "-f", "{{.Id}}", "saved:1") == image_id
    hullbox.ok("rmi", "saved:1")


def test_save_to_stdout_and_load_from_stdin_gzipped(hullbox: Hullbox, other: Hullbox) -> None:
    raw = subprocess.run([*_command(hullbox), "save", "busybox"], capture_output=True,
                         env=hullbox.env(), check=True).stdout
    result = other("load", input=gzip.compress(raw))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Loaded image: busybox:latest\n"


def _command(hullbox: Hullbox) -> list[str]:
    from .conftest import hullbox_command

    return hullbox_command()


def test_skopeo_reads_what_hullbox_saves(hullbox: Hullbox, tmp_path: Path) -> None:
    skopeo = _skopeo()
    archive = tmp_path / "b.tar"
    hullbox.ok("save", "-o", str(archive), "busybox:latest")
    copied = tmp_path / "copied"
    subprocess.run([skopeo, "copy", "-q", f"docker-archive:{archive}:busybox:latest",
                    f"oci:{copied}:b"], check=True, capture_output=True)
    layout = tmp_path / "layout"
    hullbox.ok("save", "--format", "oci-dir", "-o", str(layout), "busybox:latest")
    info = json.loads(subprocess.run([skopeo, "inspect", f"oci:{layout}:latest"],
                                     check=True, capture_output=True).stdout)
    # busybox was imported from an uncompressed tar: its blob digest is its DiffID.
    assert info["Layers"] == json.loads(
        hullbox.ok("image", "inspect", "busybox"))[0]["RootFS"]["Layers"]
    oci_tar = tmp_path / "o.tar"
    hullbox.ok("save", "--format", "oci-archive", "-o", str(oci_tar), "busybox:latest")
    subprocess.run([skopeo, "inspect", f"oci-archive:{oci_tar}"], check=True,
                   capture_output=True)


def test_load_what_skopeo_writes(other: Hullbox, corpora: Path, tmp_path: Path,
                                 busybox_tar: Path) -> None:
    skopeo = _skopeo()
    layout = corpora / BUSYBOX_LAYOUT
    archive = tmp_path / "from-skopeo.tar"
    subprocess.run([skopeo, "copy", "-q", f"oci:{layout}",
                    f"docker-archive:{archive}:example.com/team/box:2"],
                   check=True, capture_output=True)
    assert other.ok("load", "-i", str(archive)) == "Loaded image: example.com/team/box:2\n"
    assert other.ok("run", "--rm", "example.com/team/box:2", "echo", "hi") == "hi\n"


def test_load_an_oci_layout_directory_keeps_its_digests(other: Hullbox, corpora: Path) -> None:
    layout = corpora / BUSYBOX_LAYOUT
    assert other.ok("load", "-i", str(layout)) == "Loaded image: busybox:1.38.0-musl\n"
    index = json.loads((layout / "index.json").read_text())
    config = json.loads(other.ok("image", "inspect", "busybox:1.38.0-musl"))[0]
    assert config["Id"] == "sha256:654fc8fd836e35f4a64586bddf8f59b9029b48cf80f520834c6c98ca8ab5def9"
    assert index["manifests"][0]["digest"].startswith("sha256:a34ce920")
    assert other.ok("run", "--rm", "busybox:1.38.0-musl", "busybox") != ""


@pytest.mark.parametrize(("name", "expected"), [
    ("test_image_1.tar", ["Loaded image: bazel/v1/tarball:test_image_1"]),
    ("test_bundle.tar", ["Loaded image: test_image_2:latest",
                         "Loaded image: test_image_1:latest"]),
    ("test_link.tar", ["Loaded image: bazel/v1/tarball:test_image_1",
                       "Loaded image: bazel/v1/tarball:test_image_3"]),
    ("hello-world-v25.tar", [
        "Loaded image ID: sha256:ee301c921b8aadc002973b2e0c3da17d701dcd994b606769a7e6eaa100b81d44"
    ]),
])
def test_load_docker_save_tarballs_of_several_docker_versions(
        other: Hullbox, corpora: Path, name: str, expected: list[str]) -> None:
    assert other.ok("load", "-i", str(corpora / TARBALLS / name)).splitlines() == expected


@pytest.mark.parametrize(("name", "message"), [
    ("no_manifest.tar", "is not an image archive: it has neither manifest.json"),
    ("null_manifest.tar", "manifest.json lists no image"),
])
def test_load_refuses_archives_that_are_not_images(
        other: Hullbox, corpora: Path, name: str, message: str) -> None:
    result = other("load", "-i", str(corpora / TARBALLS / name))
    assert result.returncode == 125
    assert message in result.stderr and len(result.stderr.splitlines()) == 1
    assert other.ok("images", "-q") == ""


def test_load_of_a_corrupt_layer_leaves_nothing(hullbox: Hullbox, other: Hullbox,
                                                tmp_path: Path) -> None:
    good = tmp_path / "good.tar"
    hullbox.ok("save", "-o", str(good), "busybox")
    bad = tmp_path / "bad.tar"
    with tarfile.open(good) as src, tarfile.open(bad, "w") as dst:
        manifest = json.load(src.extractfile("manifest.json"))  # type: ignore[arg-type]
        layer_name = manifest[0]["Layers"][0]
        for member in src.getmembers():
            data = src.extractfile(member).read() if member.isfile() else b""  # type: ignore[union-attr]
            if member.name == layer_name:
                data = data[:-1024] + b"x" * 1024  # past the tar's end: only the digest sees it
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    result = other("load", "-i", str(bad))
    assert result.returncode == 125
    assert "corrupt" in result.stderr
    assert other.ok("images", "-q") == ""
    assert list((other.root / "layers").iterdir()) == []
    assert list((other.root / "tmp").iterdir()) == []
    assert [p.name for p in (other.root / "blobs" / "sha256").iterdir()] == []


def test_save_of_an_unknown_image_is_one_line(hullbox: Hullbox, tmp_path: Path) -> None:
    out = tmp_path / "x.tar"
    result = hullbox("save", "-o", str(out), "nosuch:1")
    assert result.returncode == 125
    assert "not found locally" in result.stderr
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_podman_loads_what_hullbox_saves_and_the_reverse(
    hullbox: Hullbox, other: Hullbox, tmp_path: Path
) -> None:
    """`hullbox save -o app.tar app:1 busybox` (two images, one archive):
    podman loads both; what podman saves, hullbox loads and runs."""
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed (apt-get install podman)")
    # A private podman store; vfs needs no mounts, so nothing outlives the
    # test. podman wants a runroot of at most 50 characters.
    runroot = Path(tempfile.mkdtemp(prefix="hb-podman-"))
    podman = ["podman", "--root", str(tmp_path / "podman"), "--runroot", str(runroot),
              "--storage-driver", "vfs"]
    try:
        _podman_round_trip(hullbox, other, tmp_path, podman)
    finally:
        shutil.rmtree(runroot, ignore_errors=True)


def _podman_round_trip(hullbox: Hullbox, other: Hullbox, tmp_path: Path,
                       podman: list[str]) -> None:
    hullbox.ok("tag", "busybox", "interop/app:1")
    archive = tmp_path / "app.tar"
    hullbox.ok("save", "-o", str(archive), "interop/app:1", "busybox")
    result = subprocess.run([*podman, "load", "-i", str(archive)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr
    # podman names a short name in a docker-archive localhost/..., as it does its own
    assert "Loaded image: localhost/interop/app:1\n" in result.stdout, result.stdout
    assert "Loaded image: localhost/busybox:latest\n" in result.stdout, result.stdout
    layers = json.loads(hullbox.ok("image", "inspect", "busybox"))[0]["RootFS"]["Layers"]
    inspected = json.loads(subprocess.run(
        [*podman, "image", "inspect", "localhost/interop/app:1"],
        capture_output=True, text=True, check=True).stdout)
    assert inspected[0]["RootFS"]["Layers"] == layers
    back = tmp_path / "from-podman.tar"
    subprocess.run([*podman, "save", "-o", str(back), "localhost/interop/app:1"],
                   capture_output=True, check=True)
    assert other.ok("load", "-i", str(back)) == "Loaded image: localhost/interop/app:1\n"
    assert other.ok("run", "--rm", "localhost/interop/app:1", "echo", "from podman") == \
        "from podman\n"
    hullbox.ok("rmi", "interop/app:1")
