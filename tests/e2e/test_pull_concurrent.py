"""Two pulls of one image at once (two processes, one store): the second
waits for the first to download and store a blob instead of fetching it
again, and both end with the image."""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import io
import json
import os
import subprocess
import tarfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command
from .registry_helpers import Registry, push, running_registry, unique_image
from .registry_proxy import Proxy, proxied

pytestmark = pytest.mark.root


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


def test_second_pull_waits_for_the_first_download(
    hullbox: Hullbox, registry: Registry, busybox_tar: Path, tmp_path: Path
) -> None:
    ref_path = "hb/together:1"
    unique_image(hullbox, busybox_tar, tmp_path, f"{registry.host}/{ref_path}")
    digest = push(hullbox, f"{registry.host}/{ref_path}")
    manifest = json.loads(hullbox.root.joinpath("blobs/sha256", digest.split(":")[1])
                          .read_bytes())
    layers = [layer["digest"] for layer in manifest["layers"]]
    hullbox.ok("rmi", f"{registry.host}/{ref_path}")  # every layer must come again
    tmp_before = {p.name for p in (hullbox.root / "tmp").iterdir()}
    # Slow blobs (the layer takes seconds), so the second pull starts while
    # the first is still downloading.
    proxy = Proxy(registry.host, seconds_per_piece=0.15)
    with proxied(proxy) as host:
        ref = f"{host}/{ref_path}"
        first = subprocess.Popen([*hullbox_command(), "pull", ref], env=hullbox.env(),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _gets(proxy, layers):
            time.sleep(0.02)
        assert _gets(proxy, layers), proxy.requests
        second = subprocess.Popen([*hullbox_command(), "pull", ref], env=hullbox.env(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        results = [p.communicate(timeout=120) for p in (first, second)]
        assert first.returncode == 0 and second.returncode == 0, results
        assert first.poll() is not None
    # Each pull reads the (small) config blob; every layer came once.
    assert _gets(proxy, layers) == Counter(layers), proxy.requests
    assert f"Downloaded newer image for {ref}" in results[0][0], results
    # The second waited for the first to store the blob and then found it
    # there, layer and all: it downloaded and unpacked nothing.
    shown = [layer[7:19] for layer in layers]
    assert all(f"{short}: Waiting\n{short}: Already exists\n" in results[1][0]
               for short in shown), results
    assert f"Image is up to date for {ref}" in results[1][0], results
    assert hullbox.ok("run", "--rm", ref, "cat", "/etc/hullbox-test-image") == \
        f"{registry.host}/{ref_path}"
    assert {p.name for p in (hullbox.root / "tmp").iterdir()} == tmp_before
    hullbox.ok("rmi", ref)


def _gets(proxy: Proxy, digests: list[str]) -> Counter[str]:
    """How many times each of ``digests`` was asked for (GET) so far."""
    return Counter(digest for method, path, _ in proxy.requests for digest in digests
                   if method == "GET" and path.endswith(f"/blobs/{digest}"))


def _layer(name: str) -> tuple[bytes, str]:
    """A gzip layer holding one file of random bytes, and its DiffID."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        data = os.urandom(300_000)
        info = tarfile.TarInfo(f"{name}.bin")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue()), "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()


def _layout(path: Path, layers: list[tuple[bytes, str]], tag: str) -> None:
    """An OCI layout of the image ``tag`` made of ``layers``, in that order."""
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def blob(data: bytes, media_type: str) -> dict[str, object]:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}

    config = {"architecture": "amd64", "os": "linux",
              "rootfs": {"type": "layers", "diff_ids": [diff for _, diff in layers]}}
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": blob(json.dumps(config).encode(), "application/vnd.oci.image.config.v1+json"),
        "layers": [blob(data, "application/vnd.oci.image.layer.v1.tar+gzip")
                   for data, _ in layers],
    }
    top = blob(json.dumps(manifest).encode(), manifest["mediaType"])
    top["annotations"] = {"org.opencontainers.image.ref.name": tag}
    (path / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (path / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [top]}))


def test_a_waiting_pull_holds_no_blob_a_later_one_needs(
    hullbox: Hullbox, registry: Registry, tmp_path: Path
) -> None:
    """A pull holds each blob's lock until it has stored the blob, so it
    takes them in digest order: one that waits for a blob holds none that
    sorts after it. Were they taken in layer order, a pull of layers B, A
    waiting for A (another pull's) would hold B, and pulls of B would wait
    too; two pulls of B, A and A, B could wait for each other for ever."""
    first, second = _layer("a"), _layer("b")
    low, high = sorted((first, second), key=lambda layer: _digest(layer[0]))
    both, only_high = (f"{registry.host}/hb/order-{n}:1" for n in ("both", "high"))
    for ref, layers in ((both, [high, low]), (only_high, [high])):
        _layout(tmp_path / ref.rsplit("/", 1)[1], layers, ref)
        hullbox.ok("load", "-q", "-i", str(tmp_path / ref.rsplit("/", 1)[1]))
        hullbox.ok("push", ref)
        hullbox.ok("rmi", ref)
    # This test holds the lock of the low blob, as a pull downloading it would.
    hold = (hullbox.root / "tmp" / f"pull-{_digest(low[0])}.partial").open("ab")
    fcntl.flock(hold, fcntl.LOCK_EX)
    waiting = subprocess.Popen([*hullbox_command(), "pull", both], env=hullbox.env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert waiting.stdout is not None
        seen = [waiting.stdout.readline() for _ in range(2)]
        assert seen[1] == f"{_digest(low[0])[:12]}: Waiting\n", seen
        # The high blob is free: a pull of an image made of it alone goes on.
        hullbox.ok("pull", only_high, timeout=60)
        assert waiting.poll() is None
    finally:
        hold.close()  # lets go of the lock
        out, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, (out, err)
    assert f"Downloaded newer image for {both}" in out
    for ref, layers in ((both, [high, low]), (only_high, [high])):
        shown = hullbox.ok("image", "inspect", "--format", "{{json .RootFS.Layers}}", ref)
        assert json.loads(shown) == [diff for _, diff in layers]
        hullbox.ok("rmi", ref)
    assert not list((hullbox.root / "tmp").glob("pull-*"))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
