"""``hullbox manifest`` against a real docker-registry on 127.0.0.1: a list
made of two single-platform images pushed before, annotated, pushed, then
pulled by platform and inspected from the registry."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox
from .registry_helpers import Registry, fails, push, running_registry, untag_registry_images

pytestmark = pytest.mark.root

MARK = "etc/hullbox-platform"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


def _platform_image(hullbox: Hullbox, busybox_tar: Path, tmp: Path, ref: str,
                    arch: str) -> None:
    """busybox plus a file naming ``arch``, imported as linux/``arch``."""
    rootfs = tmp / f"{arch}.tar"
    shutil.copyfile(busybox_tar, rootfs)
    with tarfile.open(rootfs, "a") as tar:
        data = arch.encode()
        info = tarfile.TarInfo(MARK)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    hullbox.ok("import", "--platform", f"linux/{arch}", str(rootfs), ref)


@pytest.fixture
def images(hullbox: Hullbox, registry: Registry, busybox_tar: Path,
           tmp_path: Path) -> Iterator[dict[str, str]]:
    """linux/amd64 and linux/arm64 images in the registry (not in the
    store): arch -> reference."""
    refs = {}
    for arch in ("amd64", "arm64"):
        ref = f"{registry.host}/mf/app:{arch}"
        _platform_image(hullbox, busybox_tar, tmp_path, ref, arch)
        push(hullbox, ref)
        hullbox.ok("rmi", ref)
        refs[arch] = ref
    yield refs
    for name in (f"{registry.host}/mf/app:multi", f"{registry.host}/mf/other:multi"):
        hullbox("manifest", "rm", name)
    untag_registry_images(hullbox)


def _platforms(document: str) -> list[dict[str, str]]:
    return [m["platform"] for m in json.loads(document)["manifests"]]


def test_create_annotate_push_then_pull_by_platform(
        hullbox: Hullbox, registry: Registry, images: dict[str, str]) -> None:
    multi = f"{registry.host}/mf/app:multi"
    out = hullbox.ok("manifest", "create", multi, images["amd64"], images["arm64"])
    assert out == f"Created manifest list {multi}\n"
    hullbox.ok("manifest", "annotate", "--variant", "v8", "--os-features", "a,b",
               multi, images["arm64"])
    local = hullbox.ok("manifest", "inspect", multi)
    assert local.startswith('{\n   "schemaVersion": 2,')  # a list as docker 28 shows it
    assert _platforms(local) == [
        {"architecture": "amd64", "os": "linux"},
        {"architecture": "arm64", "os": "linux", "os.features": ["a", "b"], "variant": "v8"}]
    # one image of the local list, as docker shows it: its own manifest
    single = json.loads(hullbox.ok("manifest", "inspect", multi, images["arm64"]))
    assert "config" in single and "manifests" not in single

    digest = hullbox.ok("manifest", "push", "--purge", multi).strip()
    assert digest.startswith("sha256:") and len(digest) == 71
    # purged: the list now comes from the registry, by tag and by digest
    remote = hullbox.ok("manifest", "inspect", multi)
    assert _platforms(remote) == _platforms(local)
    assert hullbox.ok("manifest", "inspect", f"{registry.host}/mf/app@{digest}") == remote
    verbose = json.loads(hullbox.ok("manifest", "inspect", "-v", multi))
    assert [v["Descriptor"]["platform"]["architecture"] for v in verbose] == [
        "amd64", "arm64"]
    assert all("OCIManifest" in v or "SchemaV2Manifest" in v for v in verbose)

    pulled = hullbox.ok("pull", "--platform", "linux/arm64", multi)
    assert f"Digest: {digest}" in pulled
    assert hullbox.ok("run", "--rm", multi, "cat", f"/{MARK}") == "arm64"
    hullbox.ok("pull", "--platform", "linux/amd64", multi)
    assert hullbox.ok("run", "--rm", multi, "cat", f"/{MARK}") == "amd64"


def test_amend_and_images_from_a_sibling_repository(
        hullbox: Hullbox, registry: Registry, images: dict[str, str]) -> None:
    other = f"{registry.host}/mf/other:multi"
    hullbox.ok("manifest", "create", other, images["amd64"])
    line = fails(hullbox, "manifest", "create", other, images["arm64"])
    assert "--amend" in line
    hullbox.ok("manifest", "create", "--amend", other, images["arm64"])
    # the images live in mf/app: the push links them into mf/other first
    digest = hullbox.ok("manifest", "push", other).strip()
    assert _platforms(hullbox.ok("manifest", "inspect", f"{registry.host}/mf/other@{digest}")
                      ) == [{"architecture": "amd64", "os": "linux"},
                            {"architecture": "arm64", "os": "linux"}]
    hullbox.ok("pull", "--platform", "linux/arm64", other)
    assert hullbox.ok("run", "--rm", other, "cat", f"/{MARK}") == "arm64"
    hullbox.ok("manifest", "rm", other)
    line = fails(hullbox, "manifest", "push", other)
    assert "no such manifest list" in line and "manifest create" in line


def test_bad_input_is_one_line(hullbox: Hullbox, registry: Registry,
                               images: dict[str, str]) -> None:
    multi = f"{registry.host}/mf/app:multi"
    assert "no such manifest list" in fails(
        hullbox, "manifest", "annotate", "--arch", "arm64", multi, images["arm64"])
    assert "not found" in fails(
        hullbox, "manifest", "create", multi, images["amd64"], f"{registry.host}/mf/app:nope")
    # nothing was kept of the failed create
    assert "no such manifest list" in fails(hullbox, "manifest", "rm", multi)
    assert "invalid" in fails(hullbox, "manifest", "create", "Bad//Name", images["amd64"])
    assert "different registry" in fails(
        hullbox, "manifest", "create", multi, "docker.io/library/busybox:latest")
    hullbox.ok("manifest", "create", multi, images["amd64"])
    assert "unsupported os/arch" in fails(
        hullbox, "manifest", "annotate", "--arch", "nonsense", multi, images["amd64"])
    assert "does not exist in" in fails(
        hullbox, "manifest", "annotate", "--arch", "arm64", multi, images["arm64"])
    # rm goes on past an unknown list, removes the known one, and fails
    result = hullbox("manifest", "rm", f"{registry.host}/mf/app:nope", multi)
    assert result.returncode == 125
    assert result.stderr.strip().splitlines() == [
        f"hullbox: no such manifest list: {registry.host}/mf/app:nope"]
    assert "no such manifest list" in fails(hullbox, "manifest", "rm", multi)


def test_buildx_imagetools_create_and_inspect(
        hullbox: Hullbox, registry: Registry, images: dict[str, str]) -> None:
    tools = f"{registry.host}/mf/tools"
    dry = json.loads(hullbox.ok("buildx", "imagetools", "create", "--dry-run",
                                images["amd64"], images["arm64"]))
    assert _platforms(json.dumps(dry)) == [{"architecture": "amd64", "os": "linux"},
                                           {"architecture": "arm64", "os": "linux"}]
    hullbox.ok("buildx", "imagetools", "create", "-t", f"{tools}:one", images["amd64"])
    hullbox.ok("buildx", "imagetools", "create", "--append", "-t", f"{tools}:one",
               images["arm64"])
    shown = hullbox.ok("buildx", "imagetools", "inspect", f"{tools}:one")
    assert shown.startswith(f"Name:      {tools}:one\nMediaType: application/vnd.oci.image."
                            "index.v1+json\nDigest:    sha256:")
    assert [line.split()[-1] for line in shown.splitlines() if "Platform:" in line] == [
        "linux/amd64", "linux/arm64"]
    raw = hullbox.ok("buildx", "imagetools", "inspect", "--raw", f"{tools}:one")
    assert _platforms(raw) == _platforms(json.dumps(dry))
    assert hullbox.ok("buildx", "imagetools", "inspect", "--format",
                      "{{json .Manifest.manifests}}", f"{tools}:one").startswith('[{"mediaType"')
    hullbox.ok("pull", "--platform", "linux/arm64", f"{tools}:one")
    assert hullbox.ok("run", "--rm", f"{tools}:one", "cat", f"/{MARK}") == "arm64"
    assert "-t" in fails(hullbox, "buildx", "imagetools", "create", images["amd64"])
    assert "one registry" in fails(hullbox, "buildx", "imagetools", "create", "-t",
                                   f"{tools}:x", "docker.io/library/busybox:latest")


def _docker(config: Path) -> list[str]:
    """The docker client (it needs no daemon for ``manifest``), with a
    config directory of the test's own for its local lists."""
    binary = shutil.which("docker")
    if binary is None:
        pytest.skip("the docker client is not installed (apt-get install docker.io)")
    version = subprocess.run([binary, "--version"], capture_output=True, text=True,
                             check=False).stdout
    major = re.search(r"version (\d+)\.", version)
    if major is None or int(major.group(1)) < 23:
        pytest.skip(f"{version.strip()}: docker's manifest command reads OCI images "
                    "from 23 on")
    return [binary, "--config", str(config)]


def test_the_docker_client_agrees(hullbox: Hullbox, registry: Registry,
                                  images: dict[str, str], tmp_path: Path) -> None:
    docker = _docker(tmp_path / "docker")

    def by_docker(*args: str) -> str:
        result = subprocess.run([*docker, "manifest", *args], capture_output=True,
                                text=True, check=False)
        assert result.returncode == 0, result.stderr
        return result.stdout

    mine, theirs = f"{registry.host}/mf/app:multi", f"{registry.host}/mf/app:by-docker"
    # the same list made by each, its images named in another order
    hullbox.ok("manifest", "create", mine, images["arm64"], images["amd64"])
    by_docker("create", "--insecure", theirs, images["amd64"], images["arm64"])
    hullbox.ok("manifest", "annotate", "--variant", "v8", mine, images["arm64"])
    by_docker("annotate", "--variant", "v8", theirs, images["arm64"])
    for args in ([mine], ["-v", mine], [mine, images["arm64"]], ["-v", mine, images["arm64"]]):
        expected = by_docker("inspect", *[theirs if a == mine else a for a in args])
        assert hullbox.ok("manifest", "inspect", *args) == expected, args
    # pushed, the two are the same bytes, and each client reads either the same
    digest = hullbox.ok("manifest", "push", "--purge", mine).strip()
    assert by_docker("push", "--insecure", "--purge", theirs).strip() == digest
    for name in (mine, theirs):
        for args in ([], ["-v"]):
            assert hullbox.ok("manifest", "inspect", *args, name) == by_docker(
                "inspect", "--insecure", *args, name), (name, args)
