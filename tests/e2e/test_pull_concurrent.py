"""Two pulls of one image at once (two processes, one store): the second
waits for the first to download and store a blob instead of fetching it
again, and both end with the image."""

from __future__ import annotations

import json
import subprocess
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
