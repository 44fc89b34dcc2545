"""An image pulled through a multi-platform index, pushed again: the index
goes back whole once every platform is in the store, else only the image
that is here, with a warning naming the platforms left out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import Hullbox
from .registry_helpers import Registry, push, running_registry, unique_image

pytestmark = pytest.mark.root

ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


def _manifest(registry: Registry, repo: str, ref: str) -> httpx.Response:
    response = httpx.get(f"http://{registry.host}/v2/{repo}/manifests/{ref}",
                         headers={"Accept": ACCEPT})
    assert response.status_code == 200, response.text
    return response


def _make_index(hullbox: Hullbox, registry: Registry, busybox_tar: Path,
                tmp_path: Path) -> tuple[str, dict[str, str]]:
    """Two images (different content) in the registry under one OCI index,
    as linux/amd64 and linux/arm64; returns the index digest and the
    manifest digest of each platform."""
    entries, digests = [], {}
    for arch in ("amd64", "arm64"):
        ref = f"{registry.host}/ma/src:{arch}"
        unique_image(hullbox, busybox_tar, tmp_path, ref)
        digests[arch] = push(hullbox, ref)
        hullbox.ok("rmi", ref)
        manifest = _manifest(registry, "ma/src", digests[arch])
        entries.append({"mediaType": manifest.headers["content-type"],
                        "digest": digests[arch], "size": len(manifest.content),
                        "platform": {"os": "linux", "architecture": arch}})
    index = json.dumps({"schemaVersion": 2, "manifests": entries,
                        "mediaType": "application/vnd.oci.image.index.v1+json"}).encode()
    put = httpx.put(f"http://{registry.host}/v2/ma/src/manifests/multi", content=index,
                    headers={"Content-Type": "application/vnd.oci.image.index.v1+json"})
    assert put.status_code == 201, put.text
    return put.headers["docker-content-digest"], digests


def test_index_is_pushed_back_only_when_every_platform_is_here(
    hullbox: Hullbox, registry: Registry, busybox_tar: Path, tmp_path: Path
) -> None:
    index_digest, digests = _make_index(hullbox, registry, busybox_tar, tmp_path)
    multi = f"{registry.host}/ma/src:multi"
    assert f"Digest: {index_digest}" in hullbox.ok("pull", multi)
    # Another image removed: the collection that follows keeps the index.
    hullbox.ok("import", str(busybox_tar), "ma/throwaway:1")
    hullbox.ok("rmi", "ma/throwaway:1")

    one = f"{registry.host}/ma/copy:one"
    hullbox.ok("tag", multi, one)
    result = hullbox("push", one)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == (
        "WARNING: pushed only linux/amd64 of the multi-platform image it was pulled as; "
        "linux/arm64 are not in the store (pull each with --platform to push the whole "
        "index)")
    assert result.stdout.strip().endswith(f"digest: {digests['amd64']} size: "
                                          f"{len(_manifest(registry, 'ma/copy', 'one').content)}")
    assert "image.manifest" in _manifest(registry, "ma/copy", "one").headers["content-type"]

    hullbox.ok("pull", "--platform", "linux/arm64", multi)
    assert hullbox.ok("run", "--rm", multi, "cat", "/etc/hullbox-test-image") == (
        f"{registry.host}/ma/src:arm64")
    every = f"{registry.host}/ma/copy:every"
    hullbox.ok("tag", multi, every)
    result = hullbox("push", every)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert f"every: digest: {index_digest} " in result.stdout
    served = _manifest(registry, "ma/copy", "every")
    assert served.headers["docker-content-digest"] == index_digest
    assert [m["digest"] for m in served.json()["manifests"]] == [
        digests["amd64"], digests["arm64"]]
    for digest in digests.values():  # each child is in the new repository too
        _manifest(registry, "ma/copy", digest)
    for ref in (one, every, multi):
        hullbox.ok("rmi", ref)
