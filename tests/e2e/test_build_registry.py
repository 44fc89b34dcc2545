"""``hullbox build`` with its base images in a registry (Debian's
docker-registry on 127.0.0.1): FROM pulls an image the store lacks, and
``--pull`` asks the registry even when the store has one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
from .test_build import inspect, leftovers, remove_new_images, write

pytestmark = pytest.mark.root
__all__ = ["remove_new_images"]  # its autouse cleanup applies here too


@pytest.fixture(scope="module", autouse=True)
def _clean_tags(hullbox: Hullbox) -> Iterator[None]:
    yield
    untag_registry_images(hullbox)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("build-registry")) as running:
        yield running


def test_from_pulls_an_image_the_store_lacks(hullbox: Hullbox, registry: Registry,
                                            busybox_tar: Path, tmp_path: Path) -> None:
    base = f"{registry.host}/build/base:1"
    unique_image(hullbox, busybox_tar, tmp_path, base)
    push(hullbox, base)
    hullbox.ok("rmi", base)
    ctx = write(tmp_path / "ctx", {
        "Dockerfile": f"FROM {base}\nRUN cp /etc/hullbox-test-image /copied\n"
                      f"COPY --from={base} /etc/hullbox-test-image /again\n",
    })
    result = hullbox("build", "-t", "pulled-base:1", str(ctx))
    assert result.returncode == 0, result.stderr
    assert f"[internal] load metadata for {base}" in result.stderr
    assert result.stderr.count("load metadata") == 1  # one pull serves FROM and --from
    assert hullbox.ok("run", "--rm", "pulled-base:1", "cat", "/copied", "/again") == base * 2
    assert hullbox.ok("images", "-q", base).strip()  # the base stays, as after a pull
    again = hullbox("build", "-t", "pulled-base:1", str(ctx))
    assert "load metadata" not in again.stderr  # stored now: no registry round trip
    assert leftovers(hullbox) == []


def test_pull_flag_takes_the_registry_s_newer_image(hullbox: Hullbox, registry: Registry,
                                                   busybox_tar: Path, tmp_path: Path) -> None:
    base = f"{registry.host}/build/moving:latest"
    unique_image(hullbox, busybox_tar, tmp_path, base)
    old_id = inspect(hullbox, base)["Id"]
    # The registry moves on: the tag now names another image.
    newer = f"{registry.host}/build/moving-newer:1"
    unique_image(hullbox, busybox_tar, tmp_path, newer)
    hullbox.ok("tag", newer, base)
    push(hullbox, base)
    new_id = inspect(hullbox, base)["Id"]
    hullbox.ok("rmi", base, newer)
    hullbox.ok("tag", old_id, base)  # the store still has the old one under the name
    ctx = write(tmp_path / "ctx", {
        "Dockerfile": f"FROM {base}\nRUN cat /etc/hullbox-test-image > /from\n"})
    hullbox.ok("build", "-t", "moving:stored", str(ctx))
    assert hullbox.ok("run", "--rm", "moving:stored", "cat", "/from") == base
    result = hullbox("build", "--pull", "-t", "moving:pulled", str(ctx))
    assert result.returncode == 0, result.stderr
    assert f"load metadata for {base}" in result.stderr
    assert hullbox.ok("run", "--rm", "moving:pulled", "cat", "/from") == newer
    assert inspect(hullbox, base)["Id"] == new_id


def test_from_an_image_no_registry_has_fails_in_one_line(hullbox: Hullbox, registry: Registry,
                                                         tmp_path: Path) -> None:
    missing = f"{registry.host}/build/nothere:1"
    ctx = write(tmp_path / "ctx", {"Dockerfile": f"FROM busybox\nRUN true\nFROM {missing}\n"})
    line = fails(hullbox, "build", "-q", str(ctx))
    assert line.startswith(f"hullbox: Dockerfile:3: {missing}: failed to resolve source "
                           "metadata: "), line
    assert "not found" in line or "unknown" in line, line
    assert leftovers(hullbox) == []
