"""Which accelerator a guest gets: KVM only when it really boots a guest here.

/dev/kvm can exist and open and still not run a stock kernel: a ``kvm_pvm``
host runs only PVM-enabled guests, and Debian's kernels hang right after
real-mode setup. So the answer comes from booting the guest kernel under KVM
and watching for its first console line; the result is cached per host kernel,
KVM modules, guest kernel and QEMU binary. ``HULLBOX_VM_ACCEL=kvm|tcg`` forces
a choice.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

QEMU = "qemu-system-x86_64"
_PROBE_TIMEOUT = 8.0
_BANNER = b"Linux version"


@dataclass(frozen=True)
class Accel:
    """The accelerator choice and why it was made (shown by ``hullbox info``)."""

    name: str  # "kvm" or "tcg"
    reason: str

    @property
    def is_kvm(self) -> bool:
        return self.name == "kvm"


def kvm_modules() -> list[str]:
    """The KVM flavours loaded in the host kernel (kvm_intel, kvm_amd, kvm_pvm)."""
    try:
        return sorted(m for m in os.listdir("/sys/module") if m.startswith("kvm_"))
    except OSError:
        return []


def host_tsc_khz() -> int:
    """The host CPU clock in kHz; a TCG guest's TSC runs at the host's rate and
    its calibration against the emulated PIT can hang, so it is told the rate."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("cpu MHz"):
                    return int(float(line.split(":", 1)[1]) * 1000)
    except (OSError, ValueError):
        pass
    return 0


def detect_accel(kernel: Path | None, cache: Path | None = None) -> Accel:
    """KVM if it boots ``kernel`` (or, with no kernel to try, if /dev/kvm opens
    and is not a PVM-only KVM), else TCG."""
    forced = os.environ.get("HULLBOX_VM_ACCEL", "")
    if forced in ("kvm", "tcg"):
        return Accel(forced, "forced by HULLBOX_VM_ACCEL")
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC))
    except OSError as exc:
        return Accel("tcg", f"/dev/kvm unusable ({exc.strerror}); using TCG emulation")
    if kernel is None or not kernel.is_file():
        if "kvm_pvm" in kvm_modules():
            return Accel("tcg", "/dev/kvm is kvm_pvm (PVM guests only); using TCG emulation")
        return Accel("kvm", "/dev/kvm opens (not probed: no guest kernel)")
    key = _cache_key(kernel)
    cached = _read_cache(cache, key)
    if cached is not None:
        return cached
    result = _probe(kernel)
    _write_cache(cache, key, result)
    return result


def _probe(kernel: Path) -> Accel:
    try:
        booted = kernel_prints_banner(kernel, "kvm", _PROBE_TIMEOUT)
    except OSError as exc:
        return Accel("tcg", f"cannot run {QEMU} ({exc.strerror})")
    if booted:
        return Accel("kvm", "KVM boots the guest kernel")
    flavour = ",".join(kvm_modules()) or "kvm"
    return Accel("tcg", f"/dev/kvm ({flavour}) does not boot {kernel.resolve().name} "
                        f"(no console output in {_PROBE_TIMEOUT:.0f}s); using TCG emulation")


def kernel_prints_banner(kernel: Path, accel: str, timeout: float) -> bool:
    """Boot ``kernel`` with no root under ``accel`` and report whether its
    "Linux version" banner reaches the serial port within ``timeout``."""
    cpu = ["-cpu", "host"] if accel == "kvm" else []
    khz = host_tsc_khz()
    tsc = f" tsc_early_khz={khz}" if accel == "tcg" and khz else ""
    argv = [QEMU, "-accel", accel, *cpu, "-m", "128", "-nodefaults",
            "-display", "none", "-no-reboot", "-serial", "stdio", "-kernel", str(kernel),
            "-append", f"console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1{tsc}"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    output = b""
    deadline = time.monotonic() + timeout
    try:
        while _BANNER not in output and (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([proc.stdout], [], [], left)
            chunk = os.read(proc.stdout.fileno(), 4096) if ready else b""
            if ready and not chunk:
                break  # qemu exited
            output += chunk
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    return _BANNER in output


def _cache_key(kernel: Path) -> dict[str, object]:
    stat = kernel.stat()
    return {"host": os.uname().release, "modules": kvm_modules(), "kernel": str(kernel.resolve()),
            "kernel_size": stat.st_size, "kernel_mtime": stat.st_mtime}


def _read_cache(cache: Path | None, key: dict[str, object]) -> Accel | None:
    if cache is None:
        return None
    try:
        data = json.loads(cache.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    return Accel(str(data["name"]), str(data["reason"]))


def _write_cache(cache: Path | None, key: dict[str, object], accel: Accel) -> None:
    if cache is None:
        return
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.name}.{os.getpid()}")
    tmp.write_text(json.dumps({"key": key, **asdict(accel)}))
    os.replace(tmp, cache)
