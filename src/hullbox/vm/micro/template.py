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
import hashlib
import json
import os
import shlex
import shutil
import socket
import time
from dataclasses import dataclass, replace
from pathlib import Path

from hullbox.errors import MachineFailure
from hullbox.vm.accel import QEMU, Accel, host_tsc_khz
from hullbox.vm.initramfs import BUSYBOX
from hullbox.vm.micro.channels import Channels, last_words, launch_qemu, stop_qemu
from hullbox.vm.micro.guest import INIT, build_initramfs
from hullbox.vm.micro.machine import GuestSpec, qemu_argv
from hullbox.vm.micro.qmpline import QmpLine, ignore_shared

_FORMAT = 1            # bump when the guest protocol changes
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


def template_key(kernel: Path, accel: Accel, memory_mib: int, cpus: int,
                 network: bool) -> str:
    """The guest's modules come with its kernel, so the kernel's identity
    stands for them; the init's text and busybox make the rest of the initramfs."""
    qemu = shutil.which(QEMU)
    facts = {"format": _FORMAT, "kernel": _identity(kernel),
             "init": hashlib.sha256(INIT.encode()).hexdigest(), "busybox": _identity(BUSYBOX),
             "qemu": _identity(Path(qemu)) if qemu else None, "accel": accel.name,
             "memory": memory_mib, "cpus": cpus, "network": network}
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:24]


def ensure_template(root: Path, kernel: Path, accel: Accel, *, memory_mib: int, cpus: int,
                    network: bool) -> Template:
    """The template for these settings, booting and saving it first if there
    is none (one builder at a time; the others wait and use its result)."""
    key = template_key(kernel, accel, memory_mib, cpus, network)
    final = templates_dir(root) / key
    spec = GuestSpec(kernel=str(kernel), initrd=str(final / "initrd.gz"),
                     memory_mib=memory_mib, cpus=cpus, accel=accel.name,
                     tsc_khz=host_tsc_khz(), ram_file=str(final / "ram"),
                     state_file=str(final / "state"), console_log=os.devnull, network=network)
    if (final / "state").is_file():
        return Template(final, spec)
    final.parent.mkdir(parents=True, exist_ok=True)
    lock = os.open(final.parent / f"{key}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (final / "state").is_file():
            _build(final, spec, build_initramfs(kernel))
    finally:
        os.close(lock)
    return Template(final, spec)


def _build(final: Path, spec: GuestSpec, initrd: bytes) -> None:
    """Boot in a scratch directory, save, then rename it into place: a
    template directory that exists is complete."""
    work = final.with_name(f".{final.name}.{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(mode=0o700)
    try:
        (work / "initrd.gz").write_bytes(initrd)
        boot = replace(spec, initrd=str(work / "initrd.gz"), ram_file=str(work / "ram"),
                       state_file=str(work / "state"), console_log=str(work / "console.log"))
        _boot_and_save(boot, work)
        shutil.rmtree(final, ignore_errors=True)
        os.rename(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise


def _boot_and_save(spec: GuestSpec, work: Path) -> None:
    channels = Channels.make()
    proc = launch_qemu(qemu_argv(spec, _ports(channels), channels.guest["qmp"].fileno(),
                                 boot=True), channels, work / "qemu.log")
    try:
        _wait_ready(channels.host["ctl"], proc.pid, spec, work)
        qmp = QmpLine(channels.host["qmp"])
        ignore_shared(qmp)
        qmp.execute("migrate", {"uri": "exec:cat > " + shlex.quote(spec.state_file)})
        deadline = time.monotonic() + 120
        while (status := qmp.execute("query-migrate").get("status")) != "completed":
            if status == "failed" or time.monotonic() > deadline:
                raise MachineFailure(f"saving the microVM template failed ({status})")
            time.sleep(0.02)
        with contextlib.suppress(MachineFailure):
            qmp.execute("quit")
    finally:
        stop_qemu(proc)
        channels.close()


def _ports(channels: Channels) -> dict[str, int]:
    fds = channels.guest_fds()
    fds.pop("qmp")
    return fds


def _wait_ready(ctl: socket.socket, pid: int, spec: GuestSpec, work: Path) -> None:
    ctl.settimeout(BOOT_TIMEOUT)
    said = b""
    try:
        while b"ready\n" not in said:
            chunk = ctl.recv(64)
            if not chunk:
                break
            said += chunk
    except TimeoutError:
        pass
    if b"ready\n" not in said:
        raise MachineFailure(
            f"the microVM guest did not come up (kernel {Path(spec.kernel).resolve().name}, "
            f"{spec.accel}): {last_words(work / 'qemu.log', work / 'console.log')}")
