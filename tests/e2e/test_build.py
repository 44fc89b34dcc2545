"""``hullbox build`` as a user types it: Dockerfiles written here, built on the
busybox image, the results run and inspected."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox

pytestmark = pytest.mark.root


def mounts_under(root: Path) -> list[str]:
    with open("/proc/self/mountinfo") as info:
        return [line.split()[4] for line in info if line.split()[4].startswith(str(root))]


def leftovers(hullbox: Hullbox) -> list[str]:
    """What a build may leave behind: mounts, step dirs, runtime state of its RUNs."""
    left = mounts_under(hullbox.root)
    tmp = hullbox.root / "tmp"
    left += [str(p) for p in tmp.iterdir()] if tmp.is_dir() else []
    runtime = Path("/run/hullbox/runtime")
    if runtime.is_dir():
        left += [str(p) for p in runtime.iterdir()
                 if p.name.startswith("build-") and _bundle_under(p, hullbox.root)]
    return left


def _bundle_under(state_dir: Path, root: Path) -> bool:
    """Whether a RUN's runtime state is this store's: its bundle is in the
    store's tmp. /run/hullbox/runtime is host-wide, and another store may be
    building at the same time; a state dir without a readable state.json
    (being made or removed by someone) cannot be told apart and is left out."""
    try:
        bundle = json.loads((state_dir / "state.json").read_text()).get("bundle", "")
    except (OSError, ValueError):
        return False
    return Path(str(bundle)).is_relative_to(root)


@pytest.fixture(autouse=True)
def remove_new_images(hullbox: Hullbox) -> Iterator[None]:
    """The e2e store is shared: images a test builds go when it ends."""
    before = set(hullbox.ok("images", "-q", "--no-trunc").split())
    yield
    for image_id in set(hullbox.ok("images", "-q", "--no-trunc").split()) - before:
        hullbox("rmi", "-f", image_id)


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return directory


def inspect(hullbox: Hullbox, name: str) -> dict[str, object]:
    data = json.loads(hullbox.ok("image", "inspect", name))[0]
    assert isinstance(data, dict)
    return data


APP = """\
# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM ${BASE} AS build
ARG GREETING=hi
RUN echo "$GREETING" > /greeting && mkdir /out && cp /greeting /out/artifact
FROM busybox AS unused
RUN exit 1
FROM busybox
ENV APP=/app SPACED="a b"
WORKDIR $APP
COPY src/ ./src/
COPY --from=build /out/artifact /app/
COPY --chown=33:33 --chmod=0750 run.sh /usr/local/bin/
RUN rm /bin/vi && echo "$APP" > /app/env-at-build
USER 33
LABEL org.example.k=v
EXPOSE 8080/tcp
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --retries=2 CMD wget -q -O- localhost:8080 || exit 1
CMD ["cat", "/app/src/a.txt"]
"""


@pytest.fixture
def app(tmp_path: Path) -> Path:
    return write(tmp_path / "ctx", {
        "Dockerfile": APP,
        "src/a.txt": "hello\n",
        "src/sub/b.txt": "b\n",
        "secret.txt": "do not send\n",
        "logs/x.log": "log\n",
        "logs/keep.log": "keep\n",
        "run.sh": "#!/bin/sh\necho run\n",
        ".dockerignore": "secret.txt\nlogs/*.log\n!logs/keep.log\n",
    })


def test_build_run_and_inspect(hullbox: Hullbox, app: Path) -> None:
    result = hullbox("build", "-t", "app:1", "-t", "app:latest", "--build-arg", "GREETING=yo",
                     "--label", "built.by=test", str(app))
    assert result.returncode == 0, result.stderr
    assert "[build 2/2] RUN /bin/sh -c echo" in result.stderr
    assert "unused" not in result.stderr  # the stage --target does not need is not built
    assert "# syntax=docker/dockerfile:1 is ignored" in result.stderr
    assert hullbox.ok("run", "--rm", "app:1") == "hello\n"
    out = hullbox("run", "--rm", "app:latest", "sh", "-c",
                     "id -u; pwd; echo $APP/$SPACED; cat /app/artifact /app/env-at-build "
                     "/app/src/sub/b.txt; stat -c '%u:%g %a' /usr/local/bin/run.sh; "
                     "ls /bin/vi 2>&1; ls /greeting 2>&1").stdout
    lines = out.splitlines()
    assert lines[:7] == ["33", "/app", "/app/a b", "yo", "/app", "b", "33:33 750"]
    assert "No such file" in lines[7] and "No such file" in lines[8]
    info = inspect(hullbox, "app:1")
    config = info["Config"]
    assert isinstance(config, dict)
    assert config["User"] == "33" and config["WorkingDir"] == "/app"
    assert config["Cmd"] == ["cat", "/app/src/a.txt"]
    assert config["Labels"] == {"org.example.k": "v", "built.by": "test"}
    assert config["ExposedPorts"] == {"8080/tcp": {}}
    assert config["StopSignal"] == "SIGINT"
    assert config["Healthcheck"] == {
        "Test": ["CMD-SHELL", "wget -q -O- localhost:8080 || exit 1"],
        "Interval": 5_000_000_000, "Retries": 2}
    assert "APP=/app" in config["Env"] and "SPACED=a b" in config["Env"]
    assert leftovers(hullbox) == []


def test_dockerignore_keeps_files_out(hullbox: Hullbox, app: Path) -> None:
    (app / "Dockerfile").write_text("FROM busybox\nCOPY . /ctx/\n")
    hullbox.ok("build", "-t", "ctx:1", str(app))
    listing = hullbox.ok("run", "--rm", "ctx:1", "find", "/ctx", "-type", "f").split()
    assert "/ctx/src/a.txt" in listing and "/ctx/logs/keep.log" in listing
    assert "/ctx/secret.txt" not in listing and "/ctx/logs/x.log" not in listing
    (app / "Dockerfile").write_text("FROM busybox\nCOPY secret.txt /\n")
    result = hullbox("build", str(app))
    assert result.returncode == 125
    assert result.stderr.strip().splitlines()[-1] == (
        "hullbox: Dockerfile:2: COPY failed: file not found in build context or excluded "
        "by .dockerignore: secret.txt")


def test_second_build_is_cached_until_a_copied_file_changes(hullbox: Hullbox,
                                                           tmp_path: Path) -> None:
    ctx = write(tmp_path / "c", {
        "Dockerfile": "FROM busybox\nRUN echo first > /first\nCOPY a.txt /a.txt\n"
                      "RUN cat /a.txt > /b.txt\nCMD [\"cat\", \"/b.txt\"]\n",
        "a.txt": "one\n",
    })
    first = hullbox("build", "-t", "cached:1", str(ctx))
    assert first.returncode == 0, first.stderr
    assert "CACHED" not in first.stderr
    image_id = inspect(hullbox, "cached:1")["Id"]

    second = hullbox("build", "-t", "cached:1", str(ctx))
    assert re.findall(r"#\d+ CACHED", second.stderr) and len(
        re.findall(r"#\d+ CACHED", second.stderr)) == 3
    assert inspect(hullbox, "cached:1")["Id"] == image_id
    assert hullbox.ok("build", "-q", str(ctx)).strip() == image_id

    (ctx / "a.txt").write_text("two\n")
    third = hullbox("build", "-t", "cached:2", str(ctx))
    assert len(re.findall(r"#\d+ CACHED", third.stderr)) == 1  # only the RUN before COPY
    assert hullbox.ok("run", "--rm", "cached:2") == "two\n"
    assert hullbox.ok("run", "--rm", "cached:1") == "one\n"

    nocache = hullbox("build", "--no-cache", "-t", "cached:3", str(ctx))
    assert "CACHED" not in nocache.stderr
    hullbox.ok("builder", "prune", "-f")
    assert "CACHED" not in hullbox("build", str(ctx)).stderr
    assert hullbox.ok("run", "--rm", "cached:1") == "one\n"  # images keep their layers


def test_target_stage_and_stdin_dockerfile(hullbox: Hullbox, tmp_path: Path) -> None:
    dockerfile = ("FROM busybox AS base\nRUN echo base > /stage\n"
                  "FROM base AS test\nRUN echo test >> /stage\n"
                  "FROM busybox\nRUN exit 7\n")
    out = hullbox("build", "--target", "test", "-t", "staged:1", "-", input=dockerfile.encode())
    assert out.returncode == 0, out.stderr
    assert hullbox.ok("run", "--rm", "staged:1", "cat", "/stage") == "base\ntest\n"
    bad = hullbox("build", "--target", "nope", "-", input=dockerfile.encode())
    assert bad.returncode == 125 and "target stage 'nope' could not be found" in bad.stderr


def test_failed_run_exits_1_and_leaves_nothing(hullbox: Hullbox, tmp_path: Path) -> None:
    ctx = write(tmp_path / "f", {"Dockerfile": "FROM busybox\nRUN echo out; echo err >&2; "
                                               "exit 3\n"})
    result = hullbox("build", "-t", "broken:1", str(ctx))
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("hullbox: Dockerfile:2: RUN /bin/sh -c echo out")
    assert last.endswith("did not complete successfully: exit code: 3")
    assert "#4 out" in result.stderr and "#4 err" in result.stderr
    quiet = hullbox("build", "-q", str(ctx))
    assert quiet.returncode == 1 and quiet.stderr.splitlines()[:2] == ["out", "err"]
    assert hullbox("image", "inspect", "broken:1").returncode != 0
    assert leftovers(hullbox) == []


def test_bad_dockerfiles_name_the_line(hullbox: Hullbox, tmp_path: Path) -> None:
    cases = {
        "FROM busybox\nRUNN true\n": "hullbox: Dockerfile:2: unknown instruction: RUNN",
        "FROM busybox\nCOPY a b c\n": "hullbox: Dockerfile:2: When using COPY with more than "
                                      "one source file, the destination must be a directory "
                                      "and end with a /",
    }
    ctx = tmp_path / "bad"
    ctx.mkdir()
    (ctx / "a").write_text("a")
    (ctx / "b").write_text("b")
    for text, message in cases.items():
        (ctx / "Dockerfile").write_text(text)
        result = hullbox("build", str(ctx))
        assert result.returncode == 125, text
        assert result.stderr.strip().splitlines()[-1] == message
    assert leftovers(hullbox) == []


def test_add_unpacks_a_local_tar_and_heredocs(hullbox: Hullbox, tmp_path: Path) -> None:
    import tarfile

    ctx = tmp_path / "add"
    ctx.mkdir()
    payload = tmp_path / "payload"
    payload.mkdir()
    (payload / "inside.txt").write_text("from the tar\n")
    with tarfile.open(ctx / "files.tar.gz", "w:gz") as tar:
        tar.add(payload / "inside.txt", "inside.txt")
    (ctx / "Dockerfile").write_text(
        "FROM busybox\nADD files.tar.gz /unpacked/\nCOPY files.tar.gz /copied/\n"
        "ARG WHO=world\n"
        "COPY <<EOF /greeting\nhello $WHO\nEOF\n"
        "RUN <<EOF\necho from heredoc > /heredoc\nEOF\n"
        "ENTRYPOINT [\"cat\"]\n")
    hullbox.ok("build", "-t", "added:1", str(ctx))
    out = hullbox.ok("run", "--rm", "added:1", "/unpacked/inside.txt", "/greeting", "/heredoc")
    assert out == "from the tar\nhello world\nfrom heredoc\n"
    assert hullbox("run", "--rm", "--entrypoint", "ls", "added:1",
                   "/copied/files.tar.gz").returncode == 0


def test_run_mounts_cache_bind_tmpfs(hullbox: Hullbox, tmp_path: Path) -> None:
    ctx = write(tmp_path / "m", {
        "Dockerfile": "FROM busybox\n"
                      "RUN --mount=type=cache,target=/cache echo x >> /cache/log && "
                      "wc -l < /cache/log > /count\n"
                      "RUN --mount=type=bind,source=data,target=/data cp /data/in /in\n"
                      "RUN --mount=type=tmpfs,target=/scratch touch /scratch/x && "
                      "test ! -e /in2\n",
        "data/in": "bound\n",
    })
    hullbox.ok("build", "-t", "mounts:1", str(ctx))
    assert hullbox.ok("run", "--rm", "mounts:1", "cat", "/count", "/in") == "1\nbound\n"
    hullbox.ok("build", "--no-cache", "-t", "mounts:2", str(ctx))
    assert hullbox.ok("run", "--rm", "mounts:2", "cat", "/count") == "2\n"
    listing = hullbox.ok("run", "--rm", "mounts:2", "ls", "/").split()
    assert "cache" not in listing and "data" not in listing and "scratch" not in listing
    assert leftovers(hullbox) == []
    assert os.path.isdir(hullbox.root / "buildcache-mounts")
