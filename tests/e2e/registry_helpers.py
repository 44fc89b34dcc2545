"""Shared by the registry tests: a real docker-registry on 127.0.0.1 (plain,
htpasswd or token auth), skopeo, and checks that a failed command printed one
line and left the store as it was."""

from __future__ import annotations

import contextlib
import http.client
import io
import os
import shutil
import socket
import ssl
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import Hullbox


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Registry:
    """A running docker-registry; ``host`` is what goes in a reference."""

    host: str
    process: subprocess.Popen[bytes]
    log: Path


def start_registry(tmp: Path, auth: str = "", http_extra: str = "") -> Registry:
    """``http_extra``: more keys of the ``http:`` block (two-space indented).
    A port chosen free can be taken by a parallel run before the registry
    binds it; then another registry answers there, so the start is retried
    until the listening socket is this process's own."""
    binary = shutil.which("docker-registry")
    if binary is None:
        pytest.skip("docker-registry is not installed (apt-get install docker-registry)")
    log = tmp / "registry.log"
    for _ in range(5):
        started = _start_on(binary, tmp, free_port(), auth, http_extra, log)
        if started is not None:
            return started
    pytest.fail(f"docker-registry did not start: {log.read_text()[-2000:]}")


def _start_on(binary: str, tmp: Path, port: int, auth: str, http_extra: str,
              log: Path) -> Registry | None:
    config = tmp / "config.yml"
    config.write_text(
        "version: 0.1\nlog: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {tmp / 'data'}}}, delete: {{enabled: true}}}}\n"
        f"{auth}\nhttp:\n  addr: 127.0.0.1:{port}\n{http_extra}"
    )
    process = subprocess.Popen([binary, "serve", str(config)], stdout=log.open("wb"),
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and process.poll() is None:
        if _listens(process.pid, port):
            with contextlib.suppress(OSError):
                conn = (http.client.HTTPSConnection("127.0.0.1", port, timeout=1,
                                                    context=ssl._create_unverified_context())
                        if http_extra else
                        http.client.HTTPConnection("127.0.0.1", port, timeout=1))
                conn.request("GET", "/v2/")
                if conn.getresponse().status in (200, 401):
                    return Registry(f"127.0.0.1:{port}", process, log)
        time.sleep(0.05)
    process.kill()
    process.wait()
    return None


def _listens(pid: int, port: int) -> bool:
    """Whether ``pid`` holds the socket listening on 127.0.0.1:``port``."""
    wanted = f"0100007F:{port:04X}"
    inodes = set()
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if fields[1] == wanted and fields[3] == "0A":  # 0A: LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    fd_dir = Path(f"/proc/{pid}/fd")
    with contextlib.suppress(OSError):
        return any(os.readlink(fd) in inodes for fd in fd_dir.iterdir())
    return False


@contextlib.contextmanager
def running_registry(tmp: Path, auth: str = "", http_extra: str = "") -> Iterator[Registry]:
    started = start_registry(tmp, auth, http_extra)
    try:
        yield started
    finally:
        started.process.terminate()
        try:
            started.process.wait(10)
        except subprocess.TimeoutExpired:
            started.process.kill()


def skopeo_binary() -> str:
    binary = shutil.which("skopeo")
    if binary is None:
        pytest.skip("skopeo is not installed (apt-get install skopeo)")
    return binary


def pushed(hullbox: Hullbox, ref: str) -> str:
    """Tag busybox as ``ref``, push it and return the manifest digest."""
    hullbox.ok("tag", "busybox:latest", ref)
    return push(hullbox, ref)


def push(hullbox: Hullbox, ref: str) -> str:
    """Push ``ref`` and return the digest the push printed."""
    out = hullbox.ok("push", ref)
    last = out.strip().splitlines()[-1]
    assert " digest: sha256:" in last, out
    return last.split(" digest: ")[1].split()[0]


def unique_image(hullbox: Hullbox, busybox_tar: Path, tmp: Path, ref: str) -> None:
    """Import busybox plus a file of its own as ``ref``: a layer no other image
    in the store or the registry shares."""
    rootfs = tmp / "unique-rootfs.tar"
    shutil.copyfile(busybox_tar, rootfs)
    with tarfile.open(rootfs, "a") as tar:
        data = ref.encode()
        info = tarfile.TarInfo("etc/hullbox-test-image")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    hullbox.ok("import", str(rootfs), ref)


def store_entries(hullbox: Hullbox) -> dict[str, list[str]]:
    return {name: sorted(p.name for p in (hullbox.root / sub).iterdir())
            for name, sub in (("blobs", "blobs/sha256"), ("layers", "layers"))}


def fails(hullbox: Hullbox, *args: str) -> str:
    """Run a command that must fail with one line and leave the store as it was."""
    before = store_entries(hullbox)
    images = hullbox.ok("images", "-q")
    result = hullbox(*args)
    assert result.returncode == 125, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hullbox: "), result.stderr
    assert store_entries(hullbox) == before
    assert hullbox.ok("images", "-q") == images
    return lines[0]


def untag_registry_images(hullbox: Hullbox) -> None:
    """Remove every tag naming a loopback registry, so the session store is
    left as the other test modules expect it."""
    names = hullbox.ok("images", "--format", "{{.Repository}}:{{.Tag}}").split()
    for name in names:
        if name.startswith("127.0.0.1:"):
            hullbox("rmi", name)
