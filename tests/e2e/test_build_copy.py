"""COPY and ADD as a Docker user expects: ``--from`` keeps owners and modes,
``--chown``/``--chmod`` override them, ``--link`` makes a layer that does
not depend on the one below, ``ADD URL`` downloads (from 127.0.0.1 here)."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import http.server
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox
from .registry_helpers import fails
from .test_build import inspect, leftovers, remove_new_images, write

pytestmark = pytest.mark.root
__all__ = ["remove_new_images"]  # its autouse cleanup applies here too


def stat_in(hullbox: Hullbox, image: str, *paths: str) -> list[str]:
    out = hullbox.ok("run", "--rm", image, "stat", "-c", "%n %u:%g %a", *paths)
    return out.splitlines()


def test_copy_from_a_stage_or_image_keeps_owners_and_modes(hullbox: Hullbox,
                                                           tmp_path: Path) -> None:
    ctx = write(tmp_path / "ctx", {
        "Dockerfile": "FROM busybox AS build\n"
                      "RUN mkdir -p /out/sub && echo x > /out/sub/f && chown -R 33:100 /out && "
                      "chmod 0751 /out/sub && chmod 0604 /out/sub/f\n"
                      "FROM busybox\n"
                      "COPY --from=build /out/ /kept/\n"
                      "COPY --from=build --chown=www-data:users --chmod=0700 /out/sub/f /set\n"
                      "COPY --from=busybox /etc/passwd /from-image\n"
                      "COPY --chown=nobody --chmod=444 ctx.txt /ctx.txt\n",
        "ctx.txt": "c\n",
    })
    os.chown(ctx / "ctx.txt", 1234, 1234)  # a context file's owner never travels
    hullbox.ok("build", "-t", "owners:1", str(ctx))
    assert stat_in(hullbox, "owners:1", "/kept/sub", "/kept/sub/f", "/set", "/from-image",
                   "/ctx.txt") == [
        "/kept/sub 33:100 751", "/kept/sub/f 33:100 604", "/set 33:100 700",
        "/from-image 0:0 644", "/ctx.txt 65534:65534 444"]


def _layers(hullbox: Hullbox, image: str) -> list[str]:
    rootfs = inspect(hullbox, image)["RootFS"]
    assert isinstance(rootfs, dict)
    return list(rootfs["Layers"])


def test_copy_link_layer_is_reused_over_a_changed_base(hullbox: Hullbox,
                                                       tmp_path: Path) -> None:
    ctx = write(tmp_path / "ctx", {"data/app.txt": "app\n", "other.txt": "o\n"})
    dockerfile = ("FROM busybox\nRUN echo {} > /base\n"
                  "COPY --link --chown=www-data data/ /srv/app/\n"
                  "COPY other.txt /srv/\n")
    (ctx / "Dockerfile").write_text(dockerfile.format("one"))
    hullbox.ok("build", "-t", "linked:1", str(ctx))
    (ctx / "Dockerfile").write_text(dockerfile.format("two"))
    second = hullbox("build", "-t", "linked:2", str(ctx))
    assert second.returncode == 0, second.stderr
    cached = re.findall(r"#(\d+) \[\d/4\] (.*)\n(?:#\1 CACHED)?", second.stderr)
    steps = {title: f"#{n} CACHED" in second.stderr for n, title in cached}
    assert steps == {"FROM busybox:latest": False, "RUN /bin/sh -c echo two > /base": False,
                     "COPY --link --chown=www-data data/ /srv/app/": True,
                     "COPY other.txt /srv/": False}, second.stderr
    one, two = _layers(hullbox, "linked:1"), _layers(hullbox, "linked:2")
    assert one[2] == two[2] and one[1] != two[1]  # the same --link layer over other bases
    assert hullbox.ok("run", "--rm", "linked:2", "cat", "/base", "/srv/app/app.txt",
                      "/srv/other.txt") == "two\napp\no\n"
    assert stat_in(hullbox, "linked:2", "/srv/app/app.txt") == ["/srv/app/app.txt 33:33 644"]
    assert leftovers(hullbox) == []


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # quiet test output
        pass


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on 127.0.0.1 serving a directory."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_Files, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        with contextlib.suppress(OSError):
            server.server_close()


def test_add_url_downloads_names_and_dates_the_file(hullbox: Hullbox, tmp_path: Path,
                                                    web: tuple[str, Path]) -> None:
    base, www = web
    (www / "tool.sh").write_text("#!/bin/sh\necho tool\n")
    os.utime(www / "tool.sh", (1_600_000_000, 1_600_000_000))
    (www / "pack.tar.gz").write_bytes(b"\x1f\x8b not unpacked from a URL")
    digest = "sha256:" + hashlib.sha256((www / "tool.sh").read_bytes()).hexdigest()
    ctx = write(tmp_path / "ctx", {
        "Dockerfile": f"FROM busybox\nARG WEB\nADD --checksum={digest} $WEB/tool.sh /opt/\n"
                      f"ADD {base}/pack.tar.gz /opt/\n"
                      f"ADD --chmod=755 {base}/tool.sh /usr/bin/tool\n"})
    result = hullbox("build", "--build-arg", f"WEB={base}", "-t", "fetched:1", str(ctx))
    assert result.returncode == 0, result.stderr
    assert stat_in(hullbox, "fetched:1", "/opt/tool.sh", "/opt/pack.tar.gz",
                   "/usr/bin/tool") == ["/opt/tool.sh 0:0 600", "/opt/pack.tar.gz 0:0 600",
                                        "/usr/bin/tool 0:0 755"]
    assert hullbox.ok("run", "--rm", "fetched:1", "tool") == "tool\n"
    mtime = hullbox.ok("run", "--rm", "fetched:1", "stat", "-c", "%Y", "/opt/tool.sh")
    assert int(mtime) == 1_600_000_000  # the server's Last-Modified
    # Unchanged on the server: cached; changed: downloaded into a new layer.
    again = hullbox("build", "--build-arg", f"WEB={base}", str(ctx))
    assert again.stderr.count("CACHED") == 3
    (www / "pack.tar.gz").write_bytes(b"changed")
    third = hullbox("build", "--build-arg", f"WEB={base}", "-t", "fetched:2", str(ctx))
    assert third.stderr.count("CACHED") == 1
    assert hullbox.ok("run", "--rm", "fetched:2", "cat", "/opt/pack.tar.gz") == "changed"
    assert leftovers(hullbox) == []


def test_add_url_failures_are_one_line(hullbox: Hullbox, tmp_path: Path,
                                       web: tuple[str, Path]) -> None:
    base, www = web
    (www / "f").write_text("f")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    wrong = "sha256:" + "0" * 64
    cases = {
        f"FROM busybox\nADD {base}/missing /x\n":
            f"hullbox: Dockerfile:2: ADD {base}/missing: the server answered 404 File not found",
        f"FROM busybox\nRUN true\nADD --checksum={wrong} {base}/f /f\n":
            f"hullbox: Dockerfile:3: ADD {base}/f: checksum mismatch: wanted {wrong}, got "
            f"sha256:{hashlib.sha256(b'f').hexdigest()}",
        "FROM busybox\nADD http://127.0.0.1:1/x /x\n":
            "hullbox: Dockerfile:2: ADD http://127.0.0.1:1/x: download failed: ",
    }
    for text, message in cases.items():
        (ctx / "Dockerfile").write_text(text)
        assert fails(hullbox, "build", "-q", str(ctx)).startswith(message)
    assert [p.name for p in (hullbox.root / "tmp").iterdir()] == []
