"""The warm snapshot microVMs start from, the way serverless platforms start
theirs: boot the guest kernel once to an init that waits for its command,
save the machine, and restore that state for every run.

    ROOT/microvm/templates/KEY/initrd.gz   the guest initramfs (guest.py)
    ROOT/microvm/templates/KEY/ram         guest RAM, mapped copy-on-write by runs
    ROOT/microvm/templates/KEY/state       device and CPU state (QEMU migration stream)

KEY digests everything the saved state depends on (kernel, initramfs, QEMU,
accelerator, memory, CPUs, NIC), so changing any of them builds a new one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from hullbox.errors import MachineFailure
from hullbox.vm.accel import QEMU, Accel, host_tsc_khz
from hullbox.vm.initramfs import BUSYBOX
from hullbox.vm.micro.channels import Channels, last_words, launch_qemu, stop_qemu
from hullbox.vm.micro.guest import INIT, build_initramfs
from hullbox.vm.micro.machine import GuestSpec, qemu_argv
from hullbox.vm.micro.qmpline import QmpLine, ignore_shared
from hullbox.vm.micro.shares import EMPTY_DIR, SHARE_SLOTS, placeholders

_FORMAT = 5            # bump when the guest protocol changes
BOOT_TIMEOUT = 300.0   # a cold TCG boot on a loaded host


@dataclass(frozen=True)
class Template:
    """A saved waiting guest; ``spec`` is the base of every run's GuestSpec."""

    dir: Path
    spec: GuestSpec


def templates_dir(root: Path) -> Path:
    return root / "microvm" / "templates"


def _identity(path: Path) -> dict[str, object]:
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime": stat.st_mtime}


def _sha256_hex(data: bytes) -> str:
    """The built-in SHA-256 where there is one: hashlib loads OpenSSL, which
    costs a run more than the rest of its key."""
    try:
        module = __import__("_sha256")
    except ImportError:  # pragma: no cover - an interpreter without it
        module = __import__("hashlib")
    return str(module.sha256(data).hexdigest())


def template_key(kernel: Path, accel: Accel, memory_mib: int, cpus: int,
                 nics: int, shares: int = 0) -> str:
    """The guest's modules come with its kernel, so the kernel's identity
    stands for them; the init's text and busybox make the rest of the initramfs."""
    qemu = shutil.which(QEMU)
    facts = {"format": _FORMAT, "kernel": _identity(kernel),
             "init": _sha256_hex(INIT.encode()), "busybox": _identity(BUSYBOX),
             "qemu": _identity(Path(qemu)) if qemu else None, "accel": accel.name,
             "memory": memory_mib, "cpus": cpus, "nics": nics,
             "shares": shares}
    return _sha256_hex(json.dumps(facts, sort_keys=True).encode())[:24]


def ensure_template(root: Path, kernel: Path, accel: Accel, *, memory_mib: int, cpus: int,
                    nics: int, shares: bool = False) -> Template:
    """The template for these settings, booting and saving it first if there
    is none (one builder at a time; the others wait and use its result).
    ``shares``: the machine has 9p devices for volumes (each costs QEMU about
    1 MiB, so runs without volumes restore a template without them); the
    caller has checked the kernel has 9p (shares.share_module_files)."""
    slots = SHARE_SLOTS if shares else 0
    key = template_key(kernel, accel, memory_mib, cpus, nics, slots)
    final = templates_dir(root) / key
    spec = GuestSpec(kernel=str(kernel), initrd=str(final / "initrd.gz"),
                     memory_mib=memory_mib, cpus=cpus, accel=accel.name,
                     tsc_khz=host_tsc_khz(), ram_file=str(final / "ram"),
                     state_file=str(final / "state"), console_log=os.devnull,
                     network=nics > 0, nics=max(nics, 1),
                     shares=placeholders(final, slots))

    def boot(work: Path) -> None:
        (work / "initrd.gz").write_bytes(build_initramfs(kernel))
        (work / EMPTY_DIR).mkdir(mode=0o555)
        _boot_and_save(replace(spec, initrd=str(work / "initrd.gz"), ram_file=str(work / "ram"),
                               state_file=str(work / "state"),
                               console_log=str(work / "console.log"),
                               shares=placeholders(work, slots)), work)

    build_once(final, boot)
    return Template(final, spec)


def build_once(final: Path, make: Callable[[Path], None]) -> None:
    """Run ``make(work)`` in a scratch directory and rename it to ``final``
    (a snapshot directory that exists is complete), unless ``final`` has a
    state already; one builder at a time, the others wait and use its result."""
    if (final / "state").is_file():
        return
    final.parent.mkdir(parents=True, exist_ok=True)
    lock = os.open(final.parent / f"{final.name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                   0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / "state").is_file():
            return
        work = final.with_name(f".{final.name}.{os.getpid()}")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(mode=0o700)
        try:
            make(work)
            shutil.rmtree(final, ignore_errors=True)
            os.rename(work, final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    finally:
        os.close(lock)


def _boot_and_save(spec: GuestSpec, work: Path) -> None:
    channels = Channels.make()
    proc = launch_qemu(qemu_argv(spec, guest_ports(channels), channels.guest["qmp"].fileno(),
                                 boot=True), channels, work / "qemu.log")
    try:
        reply = read_reply(channels.host["ctl"], BOOT_TIMEOUT)
        if reply != "ready":
            raise MachineFailure(
                f"the microVM guest did not come up (kernel "
                f"{Path(spec.kernel).resolve().name}, {spec.accel}): "
                f"{last_words(work / 'qemu.log', work / 'console.log')}")
        save_state(QmpLine(channels.host["qmp"]), Path(spec.state_file))
    finally:
        stop_qemu(proc)
        channels.close()


def save_state(qmp: QmpLine, state_file: Path) -> None:
    """Save the paused-by-migration guest's device and CPU state (its RAM is
    in its shared file) to ``state_file``, then end QEMU."""
    ignore_shared(qmp)
    qmp.execute("migrate", {"uri": "exec:cat > " + shlex.quote(str(state_file))})
    deadline = time.monotonic() + 120
    while (status := qmp.execute("query-migrate").get("status")) != "completed":
        if status == "failed" or time.monotonic() > deadline:
            raise MachineFailure(f"saving the microVM snapshot failed ({status})")
        time.sleep(0.02)
    with contextlib.suppress(MachineFailure):
        qmp.execute("quit")


def guest_ports(channels: Channels) -> dict[str, int]:
    fds = channels.guest_fds()
    fds.pop("qmp")
    return fds


def read_reply(ctl: socket.socket, timeout: float) -> str:
    """The guest's first line on the control port ("" if it closed or was
    silent for ``timeout`` seconds)."""
    ctl.settimeout(timeout)
    said = b""
    try:
        while b"\n" not in said:
            chunk = ctl.recv(256)
            if not chunk:
                break
            said += chunk
    except TimeoutError:
        pass
    finally:
        ctl.settimeout(None)
    return said.split(b"\n", 1)[0].decode(errors="replace") if b"\n" in said else ""
