"""Built images cross engines through a real registry (docker-registry on
127.0.0.1): what hullbox builds, podman pulls and runs with its config and
deletions honoured; what podman (buildah) builds, hullbox builds FROM.

podman runs with a store of its own under the test's tmp and the settings
this machine kind needs (../shared/PEERS.md), given by CONTAINERS_CONF.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import Hullbox
from .registry_helpers import (
    Registry,
    push,
    running_registry,
    unique_image,
    untag_registry_images,
)
from .test_build import remove_new_images, write

pytestmark = pytest.mark.root
__all__ = ["remove_new_images"]  # its autouse cleanup applies here too

CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
"""


@dataclass
class Podman:
    """podman with a private store."""

    root: Path

    def __call__(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, CONTAINERS_CONF=str(self.root / "containers.conf"))
        return subprocess.run(
            ["podman", "--root", str(self.root / "storage"), "--runroot",
             str(self.root / "run"), "--storage-driver", "overlay", *args],
            capture_output=True, text=True, env=env, timeout=timeout, check=False)

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.returncode == 0, f"podman {' '.join(args)}: {result.stderr}"
        return result.stdout


@pytest.fixture(scope="module")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Podman]:
    if shutil.which("podman") is None or shutil.which("runc") is None:
        pytest.skip("podman and runc are not installed (apt-get install podman runc)")
    root = tmp_path_factory.mktemp("podman")
    (root / "containers.conf").write_text(CONTAINERS_CONF)
    engine = Podman(root)
    yield engine
    engine("rm", "-a", "-f")
    engine("rmi", "-a", "-f")
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory, hullbox: Hullbox) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("interop-registry")) as running:
        yield running
    untag_registry_images(hullbox)


HULLBOX_BUILT = """\
FROM busybox AS tools
RUN echo from-the-tools-stage > /tool
FROM busybox
ENV GREETING=hello
WORKDIR /app
COPY --link app.txt ./
COPY --from=tools /tool /app/
RUN rm /bin/vi && mkdir /data && chown 33:33 /data
USER 33
CMD ["sh", "-c", "echo $GREETING from $(pwd) as $(id -u); cat app.txt tool"]
"""


def test_podman_runs_what_hullbox_built(hullbox: Hullbox, podman: Podman, registry: Registry,
                                        tmp_path: Path) -> None:
    ctx = write(tmp_path / "ctx", {"Dockerfile": HULLBOX_BUILT, "app.txt": "app-content\n"})
    ref = f"{registry.host}/interop/hullbox-built:1"
    hullbox.ok("build", "-t", ref, str(ctx))
    push(hullbox, ref)
    podman.ok("pull", "--tls-verify=false", ref)
    out = podman.ok("run", "--rm", "--network", "none", ref)
    assert out == "hello from /app as 33\napp-content\nfrom-the-tools-stage\n"
    checks = podman.ok("run", "--rm", "--network", "none", "--user", "0", ref, "sh", "-c",
                       "ls /bin/vi 2>&1; stat -c '%u %n' /data")
    assert "No such file" in checks and checks.endswith("33 /data\n")  # whiteout, owner


PODMAN_BUILT = """\
FROM {base}
ENV MADE_BY=podman
RUN echo made-by-podman > /made && rm /bin/vi && mkdir -p /opt/empty
CMD ["sh", "-c", "echo $MADE_BY; cat /made"]
"""


def test_hullbox_builds_from_what_podman_built(hullbox: Hullbox, podman: Podman,
                                               registry: Registry, busybox_tar: Path,
                                               tmp_path: Path) -> None:
    base = f"{registry.host}/interop/base:1"
    # an image of its own: a push records a repo digest on the image it pushes
    unique_image(hullbox, busybox_tar, tmp_path, base)
    push(hullbox, base)
    podman_ctx = write(tmp_path / "podman", {"Dockerfile": PODMAN_BUILT.format(base=base)})
    built = f"{registry.host}/interop/podman-built:1"
    podman.ok("build", "--tls-verify=false", "--network", "none", "-t", built,
              str(podman_ctx))
    podman.ok("push", "--tls-verify=false", built)
    ctx = write(tmp_path / "ctx", {
        "Dockerfile": f"FROM {built}\nRUN cat /made > /copied && ls /bin/vi 2>&1 | "
                      "grep -c 'No such' > /vi-gone\n"})
    result = hullbox("build", "-t", "on-podman:1", str(ctx))
    assert result.returncode == 0, result.stderr
    assert f"load metadata for {built}" in result.stderr  # pulled by the FROM
    assert hullbox.ok("run", "--rm", "on-podman:1") == "podman\nmade-by-podman\n"
    assert hullbox.ok("run", "--rm", "on-podman:1", "cat", "/copied", "/vi-gone") == (
        "made-by-podman\n1\n")
