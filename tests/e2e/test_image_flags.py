"""docker's image flags as typed: pull -a, push -a, --platform on pull, push,
rmi, import, save, load and history, rmi --no-prune and
--disable-content-trust, against a real docker-registry on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
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

pytestmark = pytest.mark.root


@pytest.fixture(scope="module", autouse=True)
def _clean_tags(hullbox: Hullbox) -> Iterator[None]:
    yield
    untag_registry_images(hullbox)
    for name in hullbox.ok("images", "--format", "{{.Repository}}:{{.Tag}}").split():
        if name.startswith("flags/"):
            hullbox("rmi", name)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


def _registry_tags(registry: Registry, repo: str) -> list[str]:
    response = httpx.get(f"http://{registry.host}/v2/{repo}/tags/list")
    assert response.status_code == 200, response.text
    return sorted(response.json()["tags"])


def test_push_all_tags_then_pull_all_tags(hullbox: Hullbox, registry: Registry,
                                          busybox_tar: Path, tmp_path: Path) -> None:
    repo = f"{registry.host}/flags/all"
    unique_image(hullbox, busybox_tar, tmp_path, f"{repo}:one")
    hullbox.ok("tag", "busybox:latest", f"{repo}:two")
    hullbox.ok("tag", "busybox:latest", f"{registry.host}/flags/other:three")

    out = hullbox.ok("push", "--all-tags", repo)
    lines = out.strip().splitlines()
    assert lines[0] == f"The push refers to repository [{repo}]"
    assert [line.split(":")[0] for line in lines if ": digest: sha256:" in line] == ["one", "two"]
    assert _registry_tags(registry, "flags/all") == ["one", "two"]

    hullbox.ok("rmi", f"{repo}:one", f"{repo}:two")
    out = hullbox.ok("pull", "-a", repo)
    assert "one: Pulling from flags/all" in out and "two: Pulling from flags/all" in out
    assert f"Status: Downloaded newer image for {repo}" in out
    assert out.strip().splitlines()[-1] == repo
    assert "Using default tag" not in out
    listed = hullbox.ok("images", repo, "--format", "{{.Tag}}").split()
    assert sorted(listed) == ["one", "two"]
    # the image came back whole: it runs
    assert hullbox.ok("run", "--rm", f"{repo}:one", "cat", "/etc/hullbox-test-image") == (
        f"{repo}:one")

    again = hullbox.ok("pull", "-a", "-q", repo)
    assert again.strip() == repo


def test_all_tags_with_a_tag_is_refused(hullbox: Hullbox, registry: Registry) -> None:
    line = fails(hullbox, "pull", "-a", f"{registry.host}/flags/all:one")
    assert "--all-tags takes a repository" in line
    line = fails(hullbox, "push", "-a", "busybox:latest")
    assert "--all-tags takes a repository" in line
    line = fails(hullbox, "push", "-a", f"{registry.host}/flags/none")
    assert "no local image is tagged" in line
    line = fails(hullbox, "pull", "-a", f"{registry.host}/flags/never-pushed")
    assert "not found" in line


def test_pull_and_push_accept_disable_content_trust(hullbox: Hullbox,
                                                    registry: Registry) -> None:
    ref = f"{registry.host}/flags/trust:1"
    hullbox.ok("tag", "busybox:latest", ref)
    assert ": digest: sha256:" in hullbox.ok("push", "--disable-content-trust", ref)
    out = hullbox.ok("pull", "--disable-content-trust", ref)
    assert out.strip().splitlines()[-1] == ref
    assert "verifies no signatures" in hullbox.ok("pull", "--help")


def test_import_platform_is_what_inspect_and_the_other_verbs_see(
        hullbox: Hullbox, registry: Registry, busybox_tar: Path, tmp_path: Path) -> None:
    hullbox.ok("import", "--platform", "linux/arm64/v8", str(busybox_tar), "flags/arm:1")
    shown = hullbox.ok("image", "inspect", "-f",
                       "{{.Os}}/{{.Architecture}}/{{.Variant}}", "flags/arm:1")
    assert shown.strip() == "linux/arm64/v8"

    # the image's own platform: the verbs do what they do without the flag
    assert "hullbox import" in hullbox.ok("history", "--platform", "linux/arm64", "flags/arm:1")
    saved = tmp_path / "arm.tar"
    hullbox.ok("save", "--platform", "linux/arm64", "-o", str(saved), "flags/arm:1")
    assert saved.stat().st_size > 0

    # another platform: one line, exit 125, nothing done
    for args in (("history", "--platform", "linux/amd64", "flags/arm:1"),
                 ("rmi", "--platform", "linux/amd64", "flags/arm:1"),
                 ("push", "--platform", "linux/amd64", "flags/arm:1")):
        line = fails(hullbox, *args)
        assert "does not match the specified platform: wanted linux/amd64, " \
               "actual: linux/arm64/v8" in line, line
    unsaved = tmp_path / "not.tar"
    line = fails(hullbox, "save", "--platform", "linux/amd64", "-o", str(unsaved),
                 "flags/arm:1")
    assert "actual: linux/arm64/v8" in line
    assert not unsaved.exists()

    # load --platform: only the archive's images of that platform
    hullbox.ok("rmi", "flags/arm:1")
    line = fails(hullbox, "load", "--platform", "linux/amd64", "-i", str(saved))
    assert "holds no image for platform linux/amd64" in line
    out = hullbox.ok("load", "--platform", "linux/arm64", "-i", str(saved))
    assert out.strip() == "Loaded image: flags/arm:1"

    assert "Untagged: flags/arm:1" in hullbox.ok("rmi", "--platform", "linux/arm64",
                                                  "flags/arm:1")


def test_bad_platform_text_is_one_line(hullbox: Hullbox, busybox_tar: Path) -> None:
    for args in (("import", "--platform", "arm64", str(busybox_tar), "flags/bad:1"),
                 ("pull", "--platform", "linux/", "127.0.0.1:1/x"),
                 ("history", "--platform", "nonsense", "busybox")):
        line = fails(hullbox, *args)
        assert "invalid platform" in line and "os/arch" in line


def test_push_platform_sends_the_image_not_the_index(
        hullbox: Hullbox, registry: Registry, busybox_tar: Path, tmp_path: Path) -> None:
    ref = f"{registry.host}/flags/plat:1"
    unique_image(hullbox, busybox_tar, tmp_path, ref)
    digest = push(hullbox, ref)
    out = hullbox.ok("push", "--platform", "linux/amd64", ref)
    assert f"1: digest: {digest}" in out
    manifest = httpx.get(f"http://{registry.host}/v2/flags/plat/manifests/1",
                         headers={"Accept": "application/vnd.oci.image.manifest.v1+json, "
                                  "application/vnd.docker.distribution.manifest.v2+json"})
    assert "layers" in json.loads(manifest.content)


def test_pull_platform_absent_from_the_index_is_one_line(hullbox: Hullbox,
                                                         registry: Registry) -> None:
    ref = f"{registry.host}/flags/trust:1"
    hullbox.ok("tag", "busybox:latest", ref)
    push(hullbox, ref)
    line = fails(hullbox, "pull", "--platform", "linux/s390x", ref)
    assert "does not match the specified platform" in line and "linux/s390x" in line


def test_rmi_no_prune_removes_only_the_image(hullbox: Hullbox, busybox_tar: Path,
                                             tmp_path: Path) -> None:
    unique_image(hullbox, busybox_tar, tmp_path, "flags/prune:1")
    image_id = hullbox.ok("images", "-q", "--no-trunc", "flags/prune:1").strip()
    before = set(hullbox.ok("images", "-q").split())
    out = hullbox.ok("rmi", "--no-prune", "flags/prune:1")
    assert out.strip().splitlines() == ["Untagged: flags/prune:1", f"Deleted: {image_id}"]
    assert set(hullbox.ok("images", "-q").split()) == before - {image_id[7:19]}


def test_image_prune_filters(new_store: Callable[[str], Hullbox], busybox_tar: Path) -> None:
    store = new_store("prune")
    keep = store.ok("import", "-c", "LABEL keep=yes", str(busybox_tar)).strip()
    drop = store.ok("import", "-c", "LABEL other=1", str(busybox_tar)).strip()
    assert store.ok("image", "prune", "-f", "--filter", "until=1h").strip() == (
        "Total reclaimed space: 0B")
    out = store.ok("image", "prune", "-f", "--filter", "label!=keep")
    assert out.splitlines()[:3] == ["Deleted Images:", f"deleted: {drop}", ""]
    assert store.ok("images", "-q", "--no-trunc").split() == [keep]
    out = store.ok("image", "prune", "-f", "--filter", "label=keep=yes",
                   "--filter", f"until={int(time.time()) + 60}")
    assert f"deleted: {keep}" in out
    bad = store("image", "prune", "-f", "--filter", "size=1")
    assert bad.returncode == 125 and "invalid filter 'size'" in bad.stderr


def test_image_inspect_platform(hullbox: Hullbox) -> None:
    shown = hullbox.ok("image", "inspect", "--platform", "linux/amd64", "-f",
                       "{{.Architecture}}", "busybox")
    assert shown.strip() == "amd64"
    result = hullbox("image", "inspect", "--platform", "linux/arm64", "busybox")
    assert result.returncode == 1
    assert "wanted linux/arm64, actual: linux/amd64" in result.stderr


def test_images_tree_shows_each_image_s_platform(new_store: Callable[[str], Hullbox],
                                                 busybox_tar: Path) -> None:
    store = new_store("tree")
    store.ok("import", str(busybox_tar), "busybox:latest")
    store.ok("import", "--platform", "linux/arm64", str(busybox_tar), "flags/arm:1")
    store.ok("create", "--name", "user", "busybox", "true")
    lines = store.ok("images", "--tree").splitlines()
    assert lines[0].split() == ["IMAGE", "ID", "DISK", "USAGE", "CONTENT", "SIZE", "EXTRA"]
    rows = [line.split() for line in lines[1:]]
    arm, _blank, box = rows[0:2], rows[2], rows[3:5]
    assert arm[0][0] == "flags/arm:1" and arm[1][:2] == ["└─", "linux/arm64"]
    assert box[0][0] == "busybox:latest" and box[1][:2] == ["└─", "linux/amd64"]
    assert box[0][-1] == "U" and arm[0][-1] != "U"  # busybox is in use by a container
    store.ok("rm", "user")
    bad = store("images", "--tree", "-q")
    assert bad.returncode == 125 and "--tree cannot be combined" in bad.stderr
