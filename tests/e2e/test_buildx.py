"""``hullbox buildx``: build with --push/--load/--metadata-file against a
real docker-registry on 127.0.0.1, the one builder in ``ls``, the cache in
``du``/``prune``, and the BuildKit-only flags refused in one line."""

from __future__ import annotations

import json
import platform
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox
from .registry_helpers import Registry, fails, running_registry, untag_registry_images
from .test_build import leftovers, remove_new_images, write

pytestmark = pytest.mark.root
__all__ = ["remove_new_images"]  # its autouse cleanup applies here too

DOCKERFILE = "FROM busybox\nRUN echo built-by-buildx > /made\nCOPY note /note\n"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, hullbox: Hullbox) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("buildx-registry")) as running:
        yield running
        untag_registry_images(hullbox)


def test_build_push_and_metadata(hullbox: Hullbox, registry: Registry, tmp_path: Path) -> None:
    ctx = write(tmp_path / "ctx", {"Dockerfile": DOCKERFILE, "note": "pushed\n"})
    ref = f"{registry.host}/bx/app:1"
    meta = tmp_path / "meta.json"
    out = hullbox.ok("buildx", "build", "--progress", "plain", "--push", "--provenance=false",
                     "--metadata-file", str(meta), "-t", ref, str(ctx))
    pushed = out.strip().splitlines()[-1]
    assert pushed.startswith("1: digest: sha256:"), out
    digest = pushed.split()[2]
    data = json.loads(meta.read_text())
    image_id = hullbox.ok("images", "-q", "--no-trunc", ref).strip()
    assert data == {"containerimage.config.digest": image_id,
                    "containerimage.digest": digest, "image.name": ref}
    # what the registry holds runs: pulled back into an empty name
    hullbox.ok("rmi", ref)
    hullbox.ok("pull", ref)
    assert hullbox.ok("run", "--rm", ref, "cat", "/made", "/note") == "built-by-buildx\npushed\n"
    assert leftovers(hullbox) == []


def test_load_is_the_default(hullbox: Hullbox, tmp_path: Path) -> None:
    ctx = write(tmp_path / "ctx", {"Dockerfile": DOCKERFILE, "note": "loaded\n"})
    for flags in (["--load"], ["-o", "type=docker"], ["--builder", "default"]):
        hullbox.ok("buildx", "build", "-q", *flags, "-t", "bx-local:1", str(ctx))
        assert hullbox.ok("run", "--rm", "bx-local:1", "cat", "/note") == "loaded\n"
        hullbox.ok("rmi", "bx-local:1")


def test_buildkit_only_flags_are_refused(hullbox: Hullbox, tmp_path: Path) -> None:
    ctx = write(tmp_path / "ctx", {"Dockerfile": DOCKERFILE, "note": "x\n"})
    for flags, words in (
            (["--builder", "mybuilder"], "no builder 'mybuilder'"),
            (["--cache-to", "type=local,dest=/tmp/c"], "--cache-to"),
            (["-o", "type=oci,dest=/tmp/x.tar"], "type=oci"),
            (["--provenance", "mode=max"], "attestations"),
            (["--push"], "tag is needed"),
            (["--allow", "security.insecure"], "security.insecure"),
            (["--call", "outline"], "--call outline"),
            (["--push", "-t", "x:1", "-o", f"type=local,dest={tmp_path}/out"], "not both")):
        assert words in fails(hullbox, "buildx", "build", *flags, str(ctx)), flags


def test_ls_version_du_prune(tmp_path: Path) -> None:
    # A store of its own: prune must not take the session store's cache.
    own = Hullbox(tmp_path / "store")
    table = own.ok("buildx", "ls").splitlines()
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(),
                                                          platform.machine())
    assert table[0].split() == ["NAME/NODE", "DRIVER/ENDPOINT", "STATUS", "BUILDKIT",
                                "PLATFORMS"]
    assert table[1].split() == ["default*", "hullbox"]
    assert table[2].split()[-1] == f"linux/{machine}" and "running" in table[2]
    assert json.loads(own.ok("buildx", "ls", "--format", "json"))["Name"] == "default"
    assert own.ok("buildx", "version").startswith("hullbox/buildx v")
    shown = own.ok("buildx", "inspect", "default")
    assert "Driver:        hullbox" in shown and f"Platforms:        linux/{machine}" in shown
    assert own.ok("buildx", "use", "default") == ""

    ctx = write(tmp_path / "ctx", {"Dockerfile": "FROM scratch\nCOPY a /a\nCOPY b /b\n",
                                   "a": "a" * 5000, "b": "b"})
    own.ok("buildx", "build", "-q", "-t", "cached:1", str(ctx))
    rows = own.ok("buildx", "du").splitlines()
    assert rows[0].split() == ["ID", "RECLAIMABLE", "SIZE", "LAST", "ACCESSED"]
    assert len(rows) == 1 + 2 + 2 and rows[-1].startswith("Total:")
    assert own.ok("buildx", "prune", "-f") == "Deleted build cache entries: 2\n"
    assert own.ok("buildx", "du", "--format", "{{.ID}}") == ""
    for verb in ("use", "inspect"):
        assert "no builder 'remote'" in fails(own, "buildx", verb, "remote")
