"""docker build's flags for RUN containers and layers, as typed: --add-host,
--memory, --memory-swap, --cpu-*, --shm-size, --ulimit, --cgroup-parent,
--security-opt, --squash, --cache-from (local and through a registry), the
flags accepted as BuildKit accepts them, and bad input in one line."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox
from .registry_helpers import Registry, running_registry
from .test_build import mounts_under, write

pytestmark = pytest.mark.root


@pytest.fixture(autouse=True)
def remove_new_images(hullbox: Hullbox) -> Iterator[None]:
    before = set(hullbox.ok("images", "-q", "--no-trunc").split())
    yield
    for image_id in set(hullbox.ok("images", "-q", "--no-trunc").split()) - before:
        hullbox("rmi", "-f", image_id)


def leftovers(hullbox: Hullbox) -> list[str]:
    """Mounts and step directories of this store a build may leave. (The
    runtime's /run/hullbox/runtime is the host's: other stores' builds run
    there meanwhile, so it is not counted here.)"""
    tmp = hullbox.root / "tmp"
    return mounts_under(hullbox.root) + ([str(p) for p in tmp.iterdir()]
                                         if tmp.is_dir() else [])


def _layers(hullbox: Hullbox, name: str) -> list[str]:
    data = json.loads(hullbox.ok("image", "inspect", name))[0]
    return list(data["RootFS"]["Layers"])


PROBE = """\
FROM busybox
RUN (grep -E 'foo|gw' /etc/hosts; ulimit -Sn; ulimit -Hn; df -k /dev/shm | tail -1; \\
     cat /sys/fs/cgroup/memory.max 2>/dev/null || \\
         cat /sys/fs/cgroup/memory/memory.limit_in_bytes; \\
     cat /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpu/cpu.cfs_quota_us \\
         /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null || \\
         cat /sys/fs/cgroup/cpu.weight /sys/fs/cgroup/cpu.max; \\
     grep NoNewPrivs /proc/self/status) > /probe.txt
"""


def test_run_steps_get_the_container_flags(hullbox: Hullbox, tmp_path: Path) -> None:
    context = write(tmp_path, {"Dockerfile": PROBE})
    hullbox.ok("build", "-q", "-t", "bf/probe", "--add-host", "foo:10.1.2.3",
               "--add-host", "gw=host-gateway", "--ulimit", "nofile=1000:2000",
               "--shm-size", "128m", "-m", "64m", "--memory-swap", "128m",
               "-c", "512", "--cpu-period", "50000", "--cpu-quota", "25000",
               "--security-opt", "no-new-privileges", str(context))
    lines = hullbox.ok("run", "--rm", "bf/probe", "cat", "/probe.txt").splitlines()
    gateway = json.loads(hullbox.ok("network", "inspect", "bridge"))[0]["IPAM"]["Config"][0][
        "Gateway"]
    assert lines[0].split() == ["10.1.2.3", "foo"]
    assert lines[1].split() == [gateway, "gw"]
    assert lines[2:4] == ["1000", "2000"]
    assert lines[4].split()[1] == "131072"  # 1K-blocks of /dev/shm
    assert lines[5] == "67108864"
    if len(lines) == 10:  # cgroup v1: shares, quota, period
        assert lines[6:9] == ["512", "25000", "50000"]
    else:  # v2: weight and "quota period"
        assert lines[7] == "25000 50000"
    assert lines[-1].split() == ["NoNewPrivs:", "1"]


def test_cgroup_parent_is_where_the_run_containers_go(hullbox: Hullbox,
                                                      tmp_path: Path) -> None:
    parent = "hbtest-" + secrets.token_hex(4)
    context = write(tmp_path, {"Dockerfile": "FROM busybox\nRUN echo hi > /hi\n"})
    made: list[Path] = []
    try:
        hullbox.ok("build", "-q", "--no-cache", "--cgroup-parent", parent, str(context))
        made = [p for p in Path("/sys/fs/cgroup").glob(f"**/{parent}") if p.is_dir()]
        assert made, "no cgroup named after --cgroup-parent"
        assert all(not any(c.is_dir() for c in p.iterdir()) for p in made)  # the step's gone
    finally:
        for path in sorted(made, key=lambda p: -len(p.parts)):
            path.rmdir()


def test_squash_makes_the_new_layers_one(hullbox: Hullbox, tmp_path: Path) -> None:
    context = write(tmp_path, {"Dockerfile": (
        "FROM busybox\nRUN echo a > /a && mkdir /d && echo x > /d/x\n"
        "RUN echo b > /b\nRUN rm /a /bin/true && rm -r /d && mkdir /d && echo y > /d/y\n"
        "ENV K=v\n")})
    base = _layers(hullbox, "busybox")
    hullbox.ok("build", "-q", "-t", "bf/plain", str(context))
    hullbox.ok("build", "-q", "-t", "bf/squashed", "--squash", str(context))
    assert len(_layers(hullbox, "bf/plain")) == len(base) + 3
    squashed = _layers(hullbox, "bf/squashed")
    assert squashed[:len(base)] == base and len(squashed) == len(base) + 1
    out = hullbox.ok("run", "--rm", "bf/squashed", "sh", "-c",
                     "cat /b; ls /a /bin/true 2>&1; ls /d; echo $K")
    assert out.splitlines() == ["b", "ls: /a: No such file or directory",
                                "ls: /bin/true: No such file or directory", "y", "v"]
    history = hullbox.ok("history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Size}}",
                         "bf/squashed").splitlines()
    assert [h.split("|")[0] for h in history[:4]] == [
        "ENV K=v", "RUN /bin/sh -c rm /a /bin/true && rm -r /d && mkdir /d && echo y > /d/y",
        "RUN /bin/sh -c echo b > /b",
        "RUN /bin/sh -c echo a > /a && mkdir /d && echo x > /d/x"]
    assert history[1].split("|")[1] != "0B" and history[2].split("|")[1] == "0B"


def _cached_steps(progress: str) -> list[str]:
    """The titles of the steps a plain progress shows as CACHED."""
    titles = {}
    for line in progress.splitlines():
        number, _, rest = line.partition(" ")
        if number.startswith("#") and rest.startswith("["):
            titles.setdefault(number, rest.split("] ", 1)[-1])
    return [titles[line.split()[0]] for line in progress.splitlines()
            if line.endswith(" CACHED")]


RANDOM = "FROM busybox\nCOPY file /file\nRUN head -c 16 /dev/urandom | od -x > /random\n"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


def test_cache_from_an_image_here_and_in_a_registry(
        new_store: Callable[[str], Hullbox], busybox_tar: Path, registry: Registry,
        tmp_path: Path) -> None:
    context = write(tmp_path / "ctx", {"Dockerfile": RANDOM, "file": "one\n"})
    builder = new_store("builder")
    builder.ok("import", str(busybox_tar), "busybox:latest")
    ref = f"{registry.host}/bf/cached:1"
    builder.ok("build", "-q", "-t", ref, str(context))
    first = builder.ok("run", "--rm", ref, "cat", "/random")
    builder.ok("push", ref)

    # another machine: the same base image, an empty build cache
    base = tmp_path / "busybox.tar"
    builder.ok("save", "-o", str(base), "busybox:latest")
    other = new_store("other")
    other.ok("load", "-i", str(base))
    out = other("build", "--progress", "plain", "-t", "bf/again", "--cache-from", ref,
                str(context))
    assert out.returncode == 0, out.stderr
    assert _cached_steps(out.stderr) == [
        "COPY file /file", "RUN /bin/sh -c head -c 16 /dev/urandom | od -x > /random"], \
        out.stderr
    assert other.ok("run", "--rm", "bf/again", "cat", "/random") == first
    assert _layers(other, "bf/again") == _layers(other, ref)

    # a changed file: the COPY and the RUN after it are built anew
    write(context, {"file": "two\n"})
    other.ok("build", "-q", "-t", "bf/changed", "--cache-from", f"type=registry,ref={ref}",
             str(context))
    assert other.ok("run", "--rm", "bf/changed", "cat", "/random") != first

    # without --cache-from, nothing is reused
    write(context, {"file": "one\n"})
    third = new_store("third")
    third.ok("load", "-i", str(base))
    third.ok("build", "-q", "-t", "bf/fresh", str(context))
    assert third.ok("run", "--rm", "bf/fresh", "cat", "/random") != first


def test_cache_from_missing_image_is_a_warning(hullbox: Hullbox, registry: Registry,
                                              tmp_path: Path) -> None:
    context = write(tmp_path, {"Dockerfile": "FROM busybox\nRUN true\n"})
    out = hullbox("build", "-q", "--cache-from", f"{registry.host}/bf/none:1", str(context))
    assert out.returncode == 0, out.stderr
    assert f"--cache-from {registry.host}/bf/none:1" in out.stderr
    assert "building without it" in out.stderr


def test_flags_buildkit_accepts_are_accepted(hullbox: Hullbox, tmp_path: Path) -> None:
    context = write(tmp_path, {"Dockerfile": "FROM busybox\nRUN echo ok > /ok\n"})
    image = hullbox.ok("build", "-q", "--compress", "--force-rm", "--rm=false",
                       "--disable-content-trust", "--isolation", "default", str(context))
    assert hullbox.ok("run", "--rm", image.strip(), "cat", "/ok") == "ok\n"
    assert leftovers(hullbox) == []
    assert "as BuildKit ignores it" in " ".join(hullbox.ok("build", "--help").split())


@pytest.mark.parametrize(("args", "expected"), [
    (("-m", "1k"), "the minimum allowed is 6MB"),
    (("--memory-swap", "1g"), "--memory-swap needs --memory"),
    (("-m", "64m", "--memory-swap", "32m"), "must be at least --memory"),
    (("--cpu-period", "10"), "--cpu-period"),
    (("--cpu-quota", "5"), "--cpu-quota"),
    (("-c", "1"), "--cpu-shares 1"),
    (("--cpuset-cpus", "a-b"), "--cpuset-cpus"),
    (("--shm-size", "lots"), "--shm-size"),
    (("--ulimit", "bogus=1"), "--ulimit"),
    (("--add-host", "nohost"), "--add-host"),
    (("--add-host", "x:999.1.1.1"), "invalid IPv4 address"),
    (("--security-opt", "apparmor=foo"), "AppArmor"),
    (("--isolation", "vm"), "--isolation vm"),
    (("--cache-from", "type=local,src=/tmp"), "only images are cache sources"),
    (("--cgroup-parent", "../escape"), "--cgroup-parent"),
    (("--squash=maybe",), "use true or false"),
])
def test_bad_build_flags_are_one_line(hullbox: Hullbox, tmp_path: Path,
                                      args: tuple[str, ...], expected: str) -> None:
    context = write(tmp_path, {"Dockerfile": "FROM busybox\nRUN true\n"})
    before = hullbox.ok("images", "-q", "-a")
    result = hullbox("build", "-q", *args, str(context))
    assert result.returncode == 125, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.stderr
    assert hullbox.ok("images", "-q", "-a") == before
    assert leftovers(hullbox) == []
