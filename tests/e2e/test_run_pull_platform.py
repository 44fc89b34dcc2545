"""``run``/``create`` with --pull, --platform and -q against a real registry
on 127.0.0.1 holding a two-platform index."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import Hullbox
from .registry_helpers import (
    Registry,
    fails,
    push,
    running_registry,
    unique_image,
    untag_registry_images,
)

MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


@pytest.fixture
def multi(hullbox: Hullbox, registry: Registry, busybox_tar: Path,
          tmp_path: Path) -> Iterator[str]:
    """A two-platform image (linux/amd64, linux/arm64) in the registry, not
    in the store; each platform's image says its name in a file."""
    base = f"http://{registry.host}/v2/ma/src"
    entries = []
    for arch in ("amd64", "arm64"):
        ref = f"{registry.host}/ma/src:{arch}"
        unique_image(hullbox, busybox_tar, tmp_path, ref)
        digest = _as_platform(base, push(hullbox, ref), arch)
        hullbox.ok("rmi", ref)
        entries.append({**digest, "platform": {"os": "linux", "architecture": arch}})
    index = json.dumps({"schemaVersion": 2, "mediaType": MEDIA_INDEX, "manifests": entries})
    put = httpx.put(f"{base}/manifests/multi", content=index.encode(),
                    headers={"Content-Type": MEDIA_INDEX})
    assert put.status_code == 201, put.text
    yield f"{registry.host}/ma/src:multi"
    untag_registry_images(hullbox)


MARK = "/etc/hullbox-test-image"


def _as_platform(base: str, manifest_digest: str, arch: str) -> dict[str, object]:
    """The pushed image again with ``arch`` in its config, as an image built
    for that platform has; its index entry (mediaType, digest, size)."""
    got = httpx.get(f"{base}/manifests/{manifest_digest}",
                    headers={"Accept": "application/vnd.oci.image.manifest.v1+json, "
                             "application/vnd.docker.distribution.manifest.v2+json"})
    assert got.status_code == 200, got.text
    manifest = got.json()
    config = httpx.get(f"{base}/blobs/{manifest['config']['digest']}").json()
    config["architecture"] = arch
    blob = json.dumps(config).encode()
    digest = "sha256:" + hashlib.sha256(blob).hexdigest()
    start = httpx.post(f"{base}/blobs/uploads/")
    assert start.status_code == 202, start.text
    location = start.headers["location"]
    location = location if location.startswith("http") else base.split("/v2/")[0] + location
    separator = "&" if "?" in location else "?"
    done = httpx.put(f"{location}{separator}digest={digest}", content=blob,
                     headers={"Content-Type": "application/octet-stream"})
    assert done.status_code == 201, done.text
    manifest["config"] = {**manifest["config"], "digest": digest, "size": len(blob)}
    body = json.dumps(manifest).encode()
    media_type = got.headers["content-type"]
    put = httpx.put(f"{base}/manifests/{arch}-image", content=body,
                    headers={"Content-Type": media_type})
    assert put.status_code == 201, put.text
    return {"mediaType": media_type, "digest": put.headers["docker-content-digest"],
            "size": len(body)}


def test_platform_picks_the_index_entry(hullbox: Hullbox, multi: str,
                                        registry: Registry) -> None:
    result = hullbox("run", "--rm", "--pull", "missing", "--platform", "linux/arm64",
                     multi, "cat", MARK)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{registry.host}/ma/src:arm64"
    # the progress went to stderr, not into the container's output
    assert "Unable to find image" in result.stderr and "Pulling from ma/src" in result.stderr
    # the local image is now arm64's: asking for amd64 without a pull is refused...
    line = fails(hullbox, "run", "--rm", "--platform", "linux/amd64", multi, "true")
    assert "linux/amd64" in line and "--platform" in line
    # ...and --pull always fetches amd64's, quietly with -q
    quiet = hullbox("run", "--rm", "-q", "--pull", "always", "--platform", "linux/amd64",
                    multi, "cat", MARK)
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (
        0, f"{registry.host}/ma/src:amd64", "")


def test_a_platform_the_index_lacks_is_refused(hullbox: Hullbox, multi: str) -> None:
    line = fails(hullbox, "run", "--rm", "--pull", "always", "--platform", "linux/s390x",
                 multi, "true")
    assert "linux/s390x" in line
    assert hullbox.ok("ps", "-aq", "--filter", f"ancestor={multi}") == ""


def test_pull_never_and_missing(hullbox: Hullbox, multi: str, registry: Registry) -> None:
    line = fails(hullbox, "create", "--pull", "never", multi)
    assert "--pull never" in line and f"hullbox pull {multi}" in line
    created = hullbox("create", "-q", "--pull", "missing", multi, "cat", MARK)
    assert created.returncode == 0 and created.stderr == "", created.stderr
    container = created.stdout.strip()
    assert len(container) == 64  # stdout is the ID alone
    # linux/amd64 is the default platform
    assert hullbox.ok("start", "-a", container) == f"{registry.host}/ma/src:amd64"
    hullbox.ok("rm", container)


def test_run_pulls_a_missing_image_as_docker_does(hullbox: Hullbox, multi: str,
                                                  registry: Registry) -> None:
    result = hullbox("run", "--rm", multi, "cat", MARK)  # no --pull: docker's "missing"
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{registry.host}/ma/src:amd64"
    assert f"Unable to find image '{multi}' locally" in result.stderr
    again = hullbox("run", "--rm", multi, "cat", MARK)  # present now: no pull
    assert (again.returncode, again.stderr) == (0, "")


def test_a_missing_image_that_cannot_be_pulled_is_one_line(hullbox: Hullbox,
                                                           registry: Registry) -> None:
    image = f"{registry.host}/ma/never-pushed:1"
    before = hullbox.ok("ps", "-aq")  # the session's store: other tests' containers may stay
    line = fails(hullbox, "run", "--rm", image, "true")
    assert line.startswith(f"hullbox: image '{image}' not found locally, and pulling it failed")
    assert hullbox.ok("ps", "-aq") == before  # no container was made
