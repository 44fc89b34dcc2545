"""A small guest for the VM tests: the Debian cloud kernel and a busybox
initramfs made here, and a driver for its serial console socket."""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hullbox.vm.initramfs import busybox_initramfs
from hullbox.vm.kernel import guest_kernel_path, guest_modules_dir
from hullbox.vm.micro.guest import module_depends

from .conftest import Hullbox
from .storecheck import release

READY = "HULLBOX-GUEST-READY"
_DONE = b"@@DONE"

INIT = f"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
echo {READY}
while true; do setsid cttyhack sh; done
"""


def guest_files(directory: Path, init: str = INIT,
                modules: tuple[str, ...] = ()) -> tuple[Path, Path]:
    """(kernel, initrd), or a skip naming what is missing. ``modules`` of the
    guest kernel go in /lib/modules with what they need, their names in
    load order in /lib/modules/order (there is no modprobe in the guest)."""
    if shutil.which("qemu-system-x86_64") is None or shutil.which("qemu-img") is None:
        pytest.skip("QEMU is not installed (apt-get install qemu-system-x86 qemu-utils)")
    kernel = guest_kernel_path()
    if not kernel.is_file():
        pytest.skip(f"no guest kernel at {kernel}; run scripts/fetch-guest-kernel.sh")
    if not Path("/bin/busybox").is_file():
        pytest.skip("busybox-static is not installed")
    archive = busybox_initramfs(init)
    order: list[str] = []
    for name, path in _with_dependencies(kernel, modules):
        archive.add_file(f"lib/modules/{name}.ko", path.read_bytes())
        order.append(name)
    archive.add_file("lib/modules/order", " ".join(order).encode())
    initrd = archive.write(directory / "initrd.gz")
    return kernel, initrd


def _with_dependencies(kernel: Path, wanted: tuple[str, ...]) -> list[tuple[str, Path]]:
    """The modules and everything they depend on, dependencies first."""
    if not wanted:
        return []
    modules_dir = guest_modules_dir(kernel)
    if modules_dir is None:
        pytest.skip(f"no modules next to the guest kernel {kernel}")
    files = {path.name.removesuffix(".ko"): path for path in modules_dir.rglob("*.ko")}
    ordered: list[tuple[str, Path]] = []

    def add(name: str) -> None:
        if name in (done for done, _ in ordered):
            return
        if name not in files:
            pytest.skip(f"the guest kernel has no module {name}")
        for needed in module_depends(files[name]):
            add(needed)
        ordered.append((name, files[name]))

    for name in wanted:
        add(name)
    return ordered


def machine_store(factory: pytest.TempPathFactory) -> Iterator[Hullbox]:
    """hullbox with a private store (short path: the sockets live there),
    emptied of machines afterwards."""
    runner = Hullbox(factory.mktemp("vm"))
    yield runner
    for name in runner("vm", "ls", "-q").stdout.split():
        runner("vm", "rm", "-f", name)
    left = release(runner)  # networks' bridges too, not only the machines
    shutil.rmtree(runner.root, ignore_errors=True)
    assert not left, f"the machines' store left: {left}"


def wait_for_log(log: Path, text: str, timeout: float = 180) -> None:
    """Wait until the guest has written ``text`` to its console log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
    raise AssertionError(f"guest did not print {text!r} in {timeout}s; console:\n{tail}")


class GuestConsole:
    """Types shell commands on the serial console and reads their output."""

    def __init__(self, path: Path) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.connect(str(path))
        self._sock.settimeout(1)

    def run(self, command: str, timeout: float = 120) -> str:
        """Output of ``command``; the end marker is quoted when typed so the
        terminal's echo of the line never matches it."""
        self._sock.sendall(f"{command}; echo '@@'DONE\n".encode())
        data = b""
        deadline = time.monotonic() + timeout
        while _DONE not in data:
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer to {command!r} in {timeout}s: {data!r}")
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                raise AssertionError(f"console closed while running {command!r}: {data!r}")
            data += chunk
        return data.decode(errors="replace")

    def send_last(self, line: str, timeout: float = 120) -> None:
        """Type a line that ends the machine and wait until QEMU hangs up."""
        self._sock.sendall(line.encode() + b"\n")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if not self._sock.recv(65536):
                    return
            except TimeoutError:
                continue
            except ConnectionResetError:
                return
        raise AssertionError(f"the machine still runs {timeout}s after {line!r}")

    def close(self) -> None:
        self._sock.close()
