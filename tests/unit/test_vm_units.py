"""VM building blocks that need no QEMU: sizes and the initramfs writer."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hullbox.errors import InvalidArgument
from hullbox.vm.initramfs import Initramfs, busybox_initramfs
from hullbox.vm.units import human_bytes, parse_memory_mib, parse_size


def test_sizes_as_users_type_them() -> None:
    assert parse_size("10G", "--disk") == 10 << 30
    assert parse_size("1.5g", "--disk") == 3 << 29
    assert parse_size("512MiB", "--disk") == 512 << 20
    assert parse_memory_mib("1G") == 1024
    assert parse_memory_mib("512") == 512  # VirtualBox: a bare number is MiB
    assert human_bytes(10 << 30) == "10 GiB"
    assert human_bytes(3 << 29) == "1.5 GiB"


@pytest.mark.parametrize("text", ["", "ten", "-1G", "0", "4k"])
def test_bad_memory_is_refused(text: str) -> None:
    with pytest.raises(InvalidArgument, match="--memory"):
        parse_memory_mib(text)


def test_initramfs_is_read_by_cpio(tmp_path: Path) -> None:
    """The archive is what GNU cpio (the reference reader) sees."""
    if shutil.which("cpio") is None:
        pytest.skip("cpio is not installed (apt-get install cpio)")
    archive = Initramfs()
    archive.add_file("etc/motd", b"hello\n")
    archive.add_symlink("bin/sh", "busybox")
    archive.add_char_device("dev/console", 5, 1)
    raw = archive.to_bytes()
    listing = subprocess.run(["cpio", "-itv", "--quiet"], input=raw, capture_output=True,
                             check=True).stdout.decode()
    lines = {line.split()[-1] if "->" not in line else line.split()[-3]: line
             for line in listing.splitlines()}
    assert set(lines) == {"etc", "etc/motd", "bin", "bin/sh", "dev", "dev/console"}
    assert lines["dev/console"].startswith("crw-------")
    assert "5,   1" in lines["dev/console"] or "5, 1" in lines["dev/console"]
    assert lines["bin/sh"].startswith("lrwxrwxrwx") and lines["bin/sh"].endswith("-> busybox")
    out = tmp_path / "x"
    out.mkdir()
    subprocess.run(["cpio", "-id", "--quiet", "etc/motd"], input=raw, cwd=out, check=True)
    assert (out / "etc" / "motd").read_bytes() == b"hello\n"


def test_busybox_initramfs_has_init_and_console(tmp_path: Path) -> None:
    if not Path("/bin/busybox").is_file():
        pytest.skip("busybox-static is not installed")
    path = busybox_initramfs("#!/bin/sh\necho hi\n").write(tmp_path / "initrd.gz")
    listing = subprocess.run(["sh", "-c", f"gzip -dc {path} | cpio -it --quiet"],
                             capture_output=True, check=True).stdout.decode().split()
    assert {"init", "bin/busybox", "dev/console", "proc", "sys"} <= set(listing)
