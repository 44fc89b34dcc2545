"""A registry that misbehaves (through registry_proxy, in front of a real
docker-registry): busy answers are retried after their Retry-After; a
truncated or corrupt blob, an unknown manifest type and an index without the
asked platform each fail in one line and leave no image; a truncated or
killed pull leaves a partial file the next pull resumes from."""

from __future__ import annotations

import itertools
import json
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from .conftest import Hullbox, hullbox_command
from .registry_helpers import Registry, fails, push, running_registry, store_entries, unique_image
from .registry_proxy import Proxy, proxied

pytestmark = pytest.mark.root

REF_PATH = "bad/input:1"


@dataclass(frozen=True)
class Pushed:
    """The image in the registry: its manifest and its one layer."""

    manifest_digest: str
    manifest: dict[str, object]
    layer: str
    layer_size: int


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


@pytest.fixture(scope="module")
def pushed(hullbox: Hullbox, registry: Registry, busybox_tar: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Pushed:
    ref = f"{registry.host}/{REF_PATH}"
    unique_image(hullbox, busybox_tar, tmp_path_factory.mktemp("bad-input"), ref)
    digest = push(hullbox, ref)
    manifest = json.loads(hullbox.root.joinpath("blobs/sha256", digest.split(":")[1])
                          .read_bytes())
    hullbox.ok("rmi", ref)  # its layer leaves the store: every pull fetches it
    layer = manifest["layers"][0]
    return Pushed(digest, manifest, layer["digest"], layer["size"])


def _partial(hullbox: Hullbox, digest: str) -> Path:
    return hullbox.root / "tmp" / f"pull-{digest.split(':')[1]}.partial"


def _pull_and_remove(hullbox: Hullbox, ref: str) -> str:
    out = hullbox.ok("pull", ref)
    assert hullbox.ok("run", "--rm", ref, "cat", "/etc/hullbox-test-image") != ""
    hullbox.ok("rmi", ref)
    return out


def test_busy_answers_are_retried_after_retry_after(
    hullbox: Hullbox, registry: Registry, pushed: Pushed
) -> None:
    proxy = Proxy(registry.host, busy=[503, 429], retry_after="1")
    with proxied(proxy) as host:
        _pull_and_remove(hullbox, f"{host}/{REF_PATH}")
    first = [s for s in proxy.stamps if "/blobs/" in s[0]][:3]
    assert [status for _, status, _ in first] == [503, 429, 200]
    assert len({path for path, _, _ in first}) == 1  # the same blob asked again
    waits = [later[2] - earlier[2] for earlier, later in itertools.pairwise(first)]
    assert all(wait >= 0.9 for wait in waits), waits


def test_registry_busy_for_too_long_fails_in_one_line(
    hullbox: Hullbox, registry: Registry, pushed: Pushed
) -> None:
    with proxied(Proxy(registry.host, busy=[503] * 5, retry_after="0")) as host:
        line = fails(hullbox, "pull", f"{host}/{REF_PATH}")
    assert "503" in line and "blob" in line


def test_truncated_blob_fails_and_the_next_pull_resumes(
    hullbox: Hullbox, registry: Registry, pushed: Pushed
) -> None:
    with proxied(Proxy(registry.host, truncate_at=100_000)) as host:
        line = fails(hullbox, "pull", f"{host}/{REF_PATH}")
    assert f"interrupted at 100000 of {pushed.layer_size} bytes" in line, line
    assert "run the pull again to resume" in line
    assert _partial(hullbox, pushed.layer).stat().st_size == 100_000
    with proxied(Proxy(registry.host)) as host:
        out = _pull_and_remove(hullbox, f"{host}/{REF_PATH}")
    assert "Pull complete (resumed at 100000 bytes)" in out
    assert not _partial(hullbox, pushed.layer).exists()


def test_corrupt_blob_is_refused_and_not_kept(
    hullbox: Hullbox, registry: Registry, pushed: Pushed
) -> None:
    with proxied(Proxy(registry.host, corrupt_blobs_over=10_000)) as host:
        line = fails(hullbox, "pull", f"{host}/{REF_PATH}")
    assert f"blob {pushed.layer[:19]}" in line and "does not match its digest" in line
    partial = _partial(hullbox, pushed.layer)
    assert not partial.exists()  # nothing to resume from


def test_unknown_manifest_media_type(
    hullbox: Hullbox, registry: Registry, pushed: Pushed
) -> None:
    def schema1(_: bytes) -> bytes:
        return json.dumps({"schemaVersion": 1, "name": "bad/input", "tag": "1",
                           "mediaType": "application/vnd.docker.distribution.manifest.v1"
                                        "+prettyjws", "fsLayers": []}).encode()

    with proxied(Proxy(registry.host, rewrite_manifest=schema1)) as host:
        line = fails(hullbox, "pull", f"{host}/{REF_PATH}")
    assert "manifest.v1+prettyjws" in line and "does not support" in line


def test_index_without_the_platform(
    hullbox: Hullbox, registry: Registry, pushed: Pushed
) -> None:
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": pushed.manifest_digest,
                            "size": len(json.dumps(pushed.manifest)),
                            "platform": {"os": "linux", "architecture": "arm64"}}]}
    manifest_type = str(pushed.manifest.get("mediaType"))
    index["manifests"][0]["mediaType"] = manifest_type  # type: ignore[index]
    base = f"http://{registry.host}/v2/bad/input/manifests"
    raw = httpx.get(f"{base}/{pushed.manifest_digest}", headers={"Accept": manifest_type})
    index["manifests"][0]["size"] = len(raw.content)  # type: ignore[index]
    put = httpx.put(f"{base}/arm-only", content=json.dumps(index).encode(),
                    headers={"Content-Type": index["mediaType"]})  # type: ignore[dict-item]
    assert put.status_code == 201, put.text
    line = fails(hullbox, "pull", f"{registry.host}/bad/input:arm-only")
    assert "no image for platform linux/amd64 (it has: linux/arm64)" in line
    assert "--platform" in line


def test_single_platform_image_of_another_platform(
    hullbox: Hullbox, registry: Registry, pushed: Pushed
) -> None:
    ref = f"{registry.host}/{REF_PATH}"
    line = fails(hullbox, "pull", "--platform", "linux/arm64", ref)
    assert "does not match the specified platform: wanted linux/arm64, actual: linux/amd64" \
        in line, line
    hullbox.ok("pull", "--platform", "linux/amd64", ref)  # the right one is fine
    hullbox.ok("rmi", ref)


def test_killed_pull_leaves_only_a_resumable_partial(
    hullbox: Hullbox, registry: Registry, pushed: Pushed
) -> None:
    before = store_entries(hullbox)
    partial = _partial(hullbox, pushed.layer)
    tmp_before = {p.name for p in (hullbox.root / "tmp").iterdir()} - {partial.name}
    with proxied(Proxy(registry.host, seconds_per_piece=0.2)) as host:
        process = subprocess.Popen([*hullbox_command(), "pull", f"{host}/{REF_PATH}"],
                                   env=hullbox.env(), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (
                not partial.exists() or partial.stat().st_size < 128 * 1024):
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    kept = partial.stat().st_size
    assert 0 < kept < pushed.layer_size
    assert store_entries(hullbox) == before
    assert f"{registry.host}/{REF_PATH}" not in hullbox.ok("images")
    # Layers unpack while they download: the killed pull's half-unpacked
    # layer waits beside its partial file for the next pull to sweep it.
    left = {p.name for p in (hullbox.root / "tmp").iterdir()} - tmp_before
    assert partial.name in left
    assert all(name.startswith(".pull-layer-") for name in left - {partial.name}), left
    with proxied(Proxy(registry.host)) as host:
        out = _pull_and_remove(hullbox, f"{host}/{REF_PATH}")
    assert f"(resumed at {kept} bytes)" in out, out
    assert {p.name for p in (hullbox.root / "tmp").iterdir()} == tmp_before
