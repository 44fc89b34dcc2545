"""``image history``, ``image prune``, ``images --filter`` and ``system df``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Hullbox

pytestmark = pytest.mark.root


def _ids(hullbox: Hullbox, *args: str) -> set[str]:
    return set(hullbox.ok("images", "-q", "--no-trunc", *args).split())


def test_history_lists_the_import(hullbox: Hullbox) -> None:
    lines = hullbox.ok("history", "busybox").splitlines()
    assert lines[0].split() == ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    image_id = hullbox.ok("image", "inspect", "-f", "{{.Id}}", "busybox").strip()
    assert lines[1].startswith(image_id.removeprefix("sha256:")[:12])
    assert "hullbox import" in lines[1]
    rows = [json.loads(line) for line in
            hullbox.ok("image", "history", "--format", "json", "--no-trunc", "busybox")
            .splitlines()]
    assert rows[0]["ID"] == image_id and rows[0]["CreatedBy"] == "hullbox import"


@pytest.fixture
def private(new_store: Callable[[str], Hullbox], busybox_tar: Path) -> Hullbox:
    """A store of its own: prune -a must not take the shared store's images."""
    store = new_store("store")
    store.ok("import", str(busybox_tar), "busybox:latest")
    return store


def test_prune_removes_dangling_then_unused_but_never_used(private: Hullbox) -> None:
    hullbox = private
    hullbox.ok("tag", "busybox", "keep:1")
    hullbox.ok("import", "-c", "LABEL stage=dangling", _rootfs(hullbox))
    hullbox.ok("import", "-c", "LABEL stage=unused", _rootfs(hullbox), "unused:1")
    dangling = _ids(hullbox, "--filter", "dangling=true")
    assert len(dangling) == 1
    assert _ids(hullbox, "--filter", "label=stage=unused") == _ids(hullbox, "unused")
    used = hullbox.ok("create", "keep:1", "true").strip()

    out = hullbox.ok("image", "prune", "-f")
    assert out.startswith("Deleted Images:\n")
    assert f"deleted: {dangling.pop()}" in out and "Total reclaimed space:" in out
    assert _ids(hullbox, "--filter", "dangling=true") == set()
    assert "unused" in hullbox.ok("images")

    out = hullbox.ok("image", "prune", "-a", "-f")
    assert "untagged: unused:1" in out
    assert "unused" not in hullbox.ok("images")
    assert "keep" in hullbox.ok("images")  # a container uses it
    assert hullbox.ok("start", "-a", used) == ""
    hullbox.ok("rm", used)


def test_prune_asks_first(hullbox: Hullbox) -> None:
    result = hullbox("image", "prune", input=b"n\n")
    assert result.returncode == 0
    assert "Are you sure you want to continue?" in result.stdout
    assert "Deleted Images" not in result.stdout


def test_filter_by_reference_and_bad_filter(hullbox: Hullbox) -> None:
    hullbox.ok("tag", "busybox", "team/app:2")
    assert hullbox.ok("images", "--format", "{{.Repository}}:{{.Tag}}",
                      "--filter", "reference=team/*") == "team/app:2\n"
    result = hullbox("images", "--filter", "colour=red")
    assert result.returncode == 125
    assert "invalid filter 'colour'" in result.stderr
    hullbox.ok("rmi", "team/app:2")


def test_system_df_counts_images_and_containers(hullbox: Hullbox) -> None:
    container = hullbox.ok("create", "busybox", "true").strip()
    rows = {json.loads(line)["Type"]: json.loads(line)
            for line in hullbox.ok("system", "df", "--format", "json").splitlines()}
    assert int(rows["Images"]["TotalCount"]) >= 1
    assert int(rows["Images"]["Active"]) >= 1
    assert int(rows["Containers"]["TotalCount"]) >= 1
    hullbox.ok("rm", container)


def _rootfs(hullbox: Hullbox) -> str:
    made = hullbox.root.parent / "prune-rootfs.tar"
    if not made.exists():
        import io
        import tarfile

        with tarfile.open(made, "w") as tar:
            data = b"prune me\n"
            info = tarfile.TarInfo("etc/marker")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return str(made)


def test_images_format_json_one_object_per_image(private: Hullbox) -> None:
    hullbox = private
    hullbox.ok("tag", "busybox", "app:1")
    image_id = hullbox.ok("image", "inspect", "-f", "{{.Id}}", "busybox").strip()
    rows = [json.loads(line) for line in hullbox.ok("images", "--format", "json").splitlines()]
    assert sorted((row["Repository"], row["Tag"]) for row in rows) == [
        ("app", "1"), ("busybox", "latest")]
    for row in rows:
        assert row["ID"] == image_id.removeprefix("sha256:")[:12]
        assert row["Digest"] == "<none>"  # imported, never pushed or pulled
        assert row["Size"].endswith("MB")


def test_rmi_force_untags_every_name_and_spares_a_containers_image(private: Hullbox) -> None:
    hullbox = private
    hullbox.ok("tag", "busybox", "app:1")
    image_id = hullbox.ok("image", "inspect", "-f", "{{.Id}}", "busybox").strip()
    used = hullbox.ok("create", "app:1", "echo", "still runs").strip()
    refused = hullbox("rmi", image_id)
    assert refused.returncode != 0 and refused.stderr.count("\n") == 1, refused
    assert "rmi -f" in refused.stderr
    out = hullbox.ok("rmi", "-f", image_id)
    assert "Untagged: app:1\n" in out and "Untagged: busybox:latest\n" in out
    # The container's image stays, nameless, until the container goes.
    assert hullbox.ok("images", "--format", "{{.Repository}}:{{.Tag}}") == "<none>:<none>\n"
    assert hullbox.ok("start", "-a", used) == "still runs\n"
    hullbox.ok("rm", used)
    assert image_id in hullbox.ok("image", "prune", "-f")
    assert hullbox.ok("images", "-q") == ""
