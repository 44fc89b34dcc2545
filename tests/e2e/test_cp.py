"""``hullbox cp`` as a user types it: both ways, running and stopped
containers, Docker's directory rules, tar streams, and hostile symlinks."""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root

SETUP = ("mkdir -p /d/sub && echo a > /d/a && echo b > /d/sub/b && chown 1000:1000 /d/a"
         " && ln -s /etc/passwd /d/lnk && ln -s / /escape && ln -s /tmp /tmplink")


@pytest.fixture
def box(hullbox: Hullbox) -> Iterator[Hullbox]:
    yield hullbox
    for container in hullbox("ps", "-aq", "--no-trunc").stdout.split():
        hullbox("rm", "-f", container)


def _tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.fixture(params=["running", "stopped"])
def web(request: pytest.FixtureRequest, box: Hullbox) -> str:
    """A container with files to copy, running or stopped."""
    if request.param == "running":
        box.ok("run", "-d", "--name", "web", "busybox", "sh", "-c", SETUP + " && sleep 600")
        subprocess.run(["sleep", "0.3"], check=True)
    else:
        box.ok("run", "--name", "web", "busybox", "sh", "-c", SETUP)
    return "web"


def test_copy_out_follows_dockers_rules(box: Hullbox, web: str, tmp_path: Path) -> None:
    box.ok("cp", "web:/etc/passwd", str(tmp_path / "p"))
    assert (tmp_path / "p").read_text().startswith("root:x:0:0:")
    box.ok("cp", "web:/d", str(tmp_path))  # into an existing directory: keeps its name
    assert _tree(tmp_path / "d") == ["a", "lnk", "sub", "sub/b"]
    assert os.readlink(tmp_path / "d" / "lnk") == "/etc/passwd"  # the link, not its target
    box.ok("cp", "web:/d", str(tmp_path / "copy"))  # onto a missing path: becomes it
    assert _tree(tmp_path / "copy") == ["a", "lnk", "sub", "sub/b"]
    box.ok("cp", "web:/d/.", str(tmp_path / "copy"))  # /. : only the contents
    assert _tree(tmp_path / "copy") == ["a", "lnk", "sub", "sub/b"]
    box.ok("cp", "web:/d/sub/b", str(tmp_path / "copy"))
    assert (tmp_path / "copy" / "b").read_text() == "b\n"
    box.ok("cp", "-L", "web:/d/lnk", str(tmp_path / "followed"))
    assert (tmp_path / "followed").read_text().startswith("root:x:0:0:")
    # -a keeps owners; without it the copy belongs to the user running cp
    box.ok("cp", "-a", "web:/d/a", str(tmp_path / "kept"))
    assert (tmp_path / "kept").stat().st_uid == 1000

    stream = subprocess.run([*hullbox_command(), "cp", "web:/d", "-"], env=box.env(),
                            capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(stream)) as archive:
        assert sorted(archive.getnames()) == ["d", "d/a", "d/lnk", "d/sub", "d/sub/b"]
        member = archive.extractfile("d/sub/b")
        assert member is not None and member.read() == b"b\n"


def test_copy_in_follows_dockers_rules(box: Hullbox, web: str, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("host file\n")
    (tmp_path / "dir" / "inner").mkdir(parents=True)
    (tmp_path / "dir" / "inner" / "x").write_text("x\n")
    (tmp_path / "dir" / "inner" / "x").chmod(0o640)
    assert box.ok("cp", str(tmp_path / "f"), "web:/tmp/") == ""
    assert box.ok("cp", str(tmp_path / "f"), "web:/tmp/renamed") == ""
    box.ok("cp", str(tmp_path / "dir"), "web:/tmp")
    box.ok("cp", str(tmp_path / "dir"), "web:/made")
    box.ok("cp", str(tmp_path / "dir") + "/.", "web:/d")
    tarball = io.BytesIO()
    with tarfile.open(fileobj=tarball, mode="w") as archive:
        info = tarfile.TarInfo("streamed/s.txt")
        info.size = 3
        archive.addfile(info, io.BytesIO(b"s!\n"))
    box.ok("cp", "-", "web:/tmp", input=tarball.getvalue())

    out = tmp_path / "back"
    for path, text in (("/tmp/f", "host file\n"), ("/tmp/renamed", "host file\n"),
                       ("/tmp/dir/inner/x", "x\n"), ("/made/inner/x", "x\n"),
                       ("/d/inner/x", "x\n"), ("/tmp/streamed/s.txt", "s!\n")):
        box.ok("cp", f"web:{path}", str(out))
        assert out.read_text() == text, path
        out.unlink()
    box.ok("cp", "-a", "web:/made/inner/x", str(out))
    assert (out.stat().st_mode & 0o777, out.stat().st_uid) == (0o640, 0)


def test_symlinks_in_the_container_never_reach_the_host(box: Hullbox, web: str,
                                                        tmp_path: Path) -> None:
    # /escape -> / and /tmplink -> /tmp: both resolve inside the container.
    missing = box("cp", "web:/escape/etc/shadow", str(tmp_path / "shadow"))
    assert missing.returncode == 125  # busybox has no /etc/shadow; the host does
    assert missing.stderr == \
        "hullbox: could not find the file /escape/etc/shadow in container web\n"
    assert not (tmp_path / "shadow").exists()
    marker = tmp_path / "marker"
    marker.write_text("from the host\n")
    unique = f"/tmp/hullbox-cp-{os.getpid()}"
    box.ok("cp", str(marker), f"web:/escape{unique}")  # lands in the container's /tmp...
    assert not Path(unique).exists()  # ...not in the host's
    box.ok("cp", f"web:{unique}", str(tmp_path / "back"))
    assert (tmp_path / "back").read_text() == "from the host\n"
    box.ok("cp", str(marker), "web:/tmplink/")  # into the directory the link names
    box.ok("cp", "web:/tmp/marker", str(tmp_path / "back2"))
    assert (tmp_path / "back2").read_text() == "from the host\n"

    hostile = io.BytesIO()
    with tarfile.open(fileobj=hostile, mode="w") as archive:
        info = tarfile.TarInfo("../../../../../../" + str(tmp_path / "pwned").lstrip("/"))
        info.size = 2
        archive.addfile(info, io.BytesIO(b"x\n"))
    bad = box("cp", "-", "web:/tmp", input=hostile.getvalue())
    assert bad.returncode == 125 and "leaves the destination" in bad.stderr
    assert len(bad.stderr.splitlines()) == 1
    assert not (tmp_path / "pwned").exists()


def test_cp_errors_are_one_line(box: Hullbox, tmp_path: Path) -> None:
    box.ok("create", "--name", "idle", "busybox", "true")
    container_id = box.ok("inspect", "-f", "{{.Id}}", "idle").strip()
    for args, message in (
        (["idle:/nope", str(tmp_path)], "could not find the file /nope in container idle"),
        ([str(tmp_path / "nope"), "idle:/tmp"], "cannot copy"),
        (["nope:/etc/passwd", str(tmp_path)], "no such container: nope"),
        ([str(tmp_path), str(tmp_path / "x")], "must specify at least one container"),
        (["idle:/etc", "idle:/tmp"], "copying between containers is not supported"),
        (["idle:/etc", str(tmp_path / "missing" / "deeper")], "no such directory"),
        (["idle:/etc/passwd/", str(tmp_path)], "is not a directory"),
        (["-", "idle:/etc/passwd"], "must be an existing directory"),
    ):
        result = box("cp", *args)
        assert result.returncode == 125, args
        assert result.stderr.startswith("hullbox: ") and message in result.stderr, result.stderr
        assert len(result.stderr.splitlines()) == 1
    with open("/proc/self/mountinfo") as info:
        assert container_id not in info.read()  # the stopped container's overlay is gone

