"""``hullbox build -o``: the built stage's filesystem as a directory or a
tar, and no image; ``--iidfile``; ``--platform`` refused in one line."""

from __future__ import annotations

import os
import re
import subprocess
import tarfile
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command
from .registry_helpers import fails
from .test_build import inspect, leftovers, remove_new_images, write

pytestmark = pytest.mark.root
__all__ = ["remove_new_images"]  # its autouse cleanup applies here too

DOCKERFILE = """\
FROM busybox AS base
COPY --chown=33:44 --chmod=0640 app.txt /srv/app.txt
RUN ln /srv/app.txt /srv/hard && ln -s app.txt /srv/soft && rm /bin/vi && \\
    mkdir -m 1777 /srv/tmp && touch -d @1000000000 /srv/old
FROM base AS test
RUN echo tested > /srv/tested
FROM base
RUN echo final > /srv/final
"""


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    return write(tmp_path / "ctx", {"Dockerfile": DOCKERFILE, "app.txt": "app\n"})


def test_output_local_writes_the_filesystem_and_no_image(hullbox: Hullbox, ctx: Path,
                                                         tmp_path: Path) -> None:
    images = hullbox.ok("images", "-q")
    out = tmp_path / "out"
    result = hullbox("build", "-o", f"type=local,dest={out}", str(ctx))
    assert result.returncode == 0, result.stderr
    assert "exporting to client directory" in result.stderr
    assert hullbox.ok("images", "-q") == images  # no image, no dangling one
    app = (out / "srv/app.txt").stat()
    assert (app.st_uid, app.st_gid, app.st_mode & 0o7777) == (33, 44, 0o640)
    assert (out / "srv/app.txt").read_text() == "app\n"
    assert (out / "srv/hard").stat().st_ino == app.st_ino  # a hard link stays one
    assert os.readlink(out / "srv/soft") == "app.txt"
    assert (out / "srv/tmp").stat().st_mode & 0o7777 == 0o1777
    assert (out / "srv/old").stat().st_mtime == 1_000_000_000
    assert (out / "srv/final").read_text() == "final\n"
    assert not (out / "srv/tested").exists()  # the stage the target does not need
    assert not os.path.lexists(out / "bin/vi")  # deleted in a layer: not there
    assert (out / "bin/busybox").is_file()
    # the short form, into a directory that exists, with --target
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "mine").write_text("kept\n")
    hullbox.ok("build", "--target", "test", "-o", str(existing), str(ctx))
    assert (existing / "srv/tested").read_text() == "tested\n"
    assert (existing / "mine").read_text() == "kept\n"
    assert leftovers(hullbox) == []


def test_output_tar_to_a_file_and_to_stdout(hullbox: Hullbox, ctx: Path,
                                            tmp_path: Path) -> None:
    archive = tmp_path / "rootfs.tar"
    hullbox.ok("build", "-o", f"type=tar,dest={archive}", str(ctx))
    with tarfile.open(archive) as tar:
        members = {m.name.lstrip("./"): m for m in tar.getmembers()}
    app = members["srv/app.txt"]
    assert (app.uid, app.gid, app.mode) == (33, 44, 0o640)
    assert members["srv/hard"].islnk() and members["srv/soft"].issym()
    assert "srv/final" in members and "bin/vi" not in members
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    piped = subprocess.run([*hullbox_command(), "build", "-q", "-o", "-", str(ctx)],
                           capture_output=True, env=hullbox.env(), check=False, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == archive.read_bytes()  # the same tree, the same bytes


def test_iidfile_names_the_image(hullbox: Hullbox, ctx: Path, tmp_path: Path) -> None:
    iid = tmp_path / "iid"
    hullbox.ok("build", "--iidfile", str(iid), "-t", "iid:1", str(ctx))
    assert iid.read_text() == inspect(hullbox, "iid:1")["Id"]


def test_bad_outputs_and_platforms_fail_in_one_line(hullbox: Hullbox, ctx: Path,
                                                    tmp_path: Path) -> None:
    cases = {
        ("-o", "type=oci,dest=x.tar"): "hullbox: -o type=oci: hullbox exports type=local or "
                                       "type=tar (without -o the image goes to the store)",
        ("-o", f"type=local,dest={tmp_path}/no/such"):
            f"hullbox: -o: {tmp_path}/no is not a directory; create it first",
        ("-o", f"type=tar,dest={tmp_path}"):
            f"hullbox: -o type=tar: {tmp_path} is a directory; name a file",
        ("-o", "type=local,out=x"): "hullbox: invalid -o 'type=local,out=x': unexpected "
                                    "'out=x'; use type=local,dest=DIR or type=tar,dest=FILE",
        ("-o", str(tmp_path / "o"), "--iidfile", str(tmp_path / "i")):
            "hullbox: --iidfile: -o writes a filesystem, not an image; use one or the other",
        ("--platform", "linux/arm64"): "hullbox: --platform linux/arm64: this host builds "
                                       "linux/amd64 only; build on such a host or leave "
                                       "--platform out",
    }
    for args, message in cases.items():
        assert fails(hullbox, "build", "-q", *args, str(ctx)) == message
    (ctx / "Dockerfile").write_text("ARG P=linux/arm64\nFROM --platform=$P busybox\n")
    assert fails(hullbox, "build", "-q", str(ctx)) == (
        "hullbox: Dockerfile:2: FROM --platform=linux/arm64: this host builds linux/amd64 "
        "only; use --platform=$BUILDPLATFORM or leave it out")
    (ctx / "Dockerfile").write_text("FROM --platform=$BUILDPLATFORM busybox\nRUN exit 4\n")
    out = tmp_path / "never"
    failed = hullbox("build", "-q", "-o", str(out), str(ctx))
    assert failed.returncode == 1 and not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert leftovers(hullbox) == []


def _on_a_terminal(hullbox: Hullbox, *args: str) -> tuple[int, str]:
    """Run ``hullbox ARGS`` with a pty as its terminal; (exit code, what it drew)."""
    import pty

    pid, master = pty.fork()
    if pid == 0:
        os.environ.update(hullbox.env())
        os.environ["COLUMNS"] = "100"
        argv = [*hullbox_command(), *args]
        os.execvp(argv[0], argv)
    seen = b""
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
        _, status = os.waitpid(pid, 0)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen.decode(errors="replace"))  # colours
    return os.waitstatus_to_exitcode(status), text


def test_progress_on_a_terminal_is_a_live_view(hullbox: Hullbox, tmp_path: Path) -> None:
    ctx = write(tmp_path / "ctx", {"Dockerfile": "FROM busybox\nRUN echo live-output; sleep 1\n"})
    code, drawn = _on_a_terminal(hullbox, "build", "--no-cache", str(ctx))
    assert code == 0, drawn
    last = drawn[drawn.rindex("[+] Building"):]  # the final frame stays on the screen
    assert re.search(r"\[\+\] Building \d+\.\ds \(5/5\) FINISHED", last), last
    assert re.search(r" => \[2/2\] RUN /bin/sh -c echo live-output; sleep 1 +\d+\.\ds", last), last
    assert "=> => # live-output" in drawn  # the running step's output, while it ran
    code, drawn = _on_a_terminal(hullbox, "build", str(ctx))
    last = drawn[drawn.rindex("[+] Building"):]
    assert code == 0, drawn
    assert re.search(r" => CACHED \[2/2\] RUN /bin/sh -c echo live-output; sleep 1 +\d+\.\ds", last)
    code, drawn = _on_a_terminal(hullbox, "build", "--progress=plain", str(ctx))
    assert "#4 CACHED" in drawn and "[+] Building" not in drawn
