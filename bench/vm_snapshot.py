"""VM figures, side by side (a benchmark: it asserts nothing).

    .venv/bin/python bench/vm_snapshot.py [--runs 5] [--memory 512M]

1. Cold boot to the guest's first userspace line: a bare QEMU command line
   against ``hullbox vm start`` of the same kernel and busybox initramfs.
2. Live snapshot save and restore of a running guest: ``hullbox vm snapshot
   save|restore`` against the same HMP savevm/loadvm sent straight over QMP by
   one Python process (the floor: QEMU's own work).

Rounds alternate the two sides, so the host's CPU steal hits both alike; only
the ratios mean anything (../shared/PEERS.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from hullbox.vm.accel import QEMU, host_tsc_khz  # noqa: E402
from hullbox.vm.initramfs import busybox_initramfs  # noqa: E402
from hullbox.vm.kernel import guest_kernel  # noqa: E402
from hullbox.vm.qmp import Monitor  # noqa: E402

READY = "HULLBOX-BENCH-READY"
INIT = f"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
echo {READY}
while true; do sh; done
"""
HULLBOX = [str(Path(sys.executable).parent / "hullbox")]


def _wait_for(path: Path, text: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.01)
    raise RuntimeError(f"no {text!r} in {path} after {timeout}s")


def bare_boot(kernel: Path, initrd: Path, memory: str, work: Path) -> float:
    log = work / "bare.log"
    log.unlink(missing_ok=True)
    argv = [QEMU, "-machine", "q35", "-accel", "tcg", "-m", memory, "-nodefaults",
            "-display", "none", "-serial", f"file:{log}", "-kernel", str(kernel),
            "-initrd", str(initrd),
            "-append", f"quiet console=ttyS0 tsc_early_khz={host_tsc_khz()} no_timer_check"]
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    try:
        _wait_for(log, READY)
        return time.monotonic() - start
    finally:
        proc.kill()
        proc.wait()


def hullbox(*args: str, env: dict[str, str]) -> str:
    return subprocess.run([*HULLBOX, *args], env=env, check=True, capture_output=True,
                          text=True).stdout


def hullbox_boot(env: dict[str, str], console_log: Path) -> float:
    console_log.unlink(missing_ok=True)
    start = time.monotonic()
    hullbox("vm", "start", "bench", env=env)
    _wait_for(console_log, READY)
    elapsed = time.monotonic() - start
    hullbox("vm", "kill", "bench", env=env)
    return elapsed


def _timed(action: Callable[..., object], *args: object, **kwargs: object) -> float:
    start = time.monotonic()
    action(*args, **kwargs)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--memory", default="512M")
    args = parser.parse_args()
    kernel = guest_kernel()
    work = Path(tempfile.mkdtemp(prefix="hbvm-"))
    env = {**os.environ, "HULLBOX_ROOT": str(work / "root")}
    try:
        initrd = busybox_initramfs(INIT).write(work / "initrd.gz")
        machine_id = hullbox("vm", "create", "bench", "--memory", args.memory, "--disk", "2G",
                             "--kernel", str(kernel), "--initrd", str(initrd),
                             "--append", "quiet", env=env).strip()
        machine_dir = work / "root" / "machines" / machine_id[:12]
        bare, ours = [], []
        for _ in range(args.runs):
            bare.append(bare_boot(kernel, initrd, args.memory, work))
            ours.append(hullbox_boot(env, machine_dir / "console.log"))
        _report("cold boot to first userspace line (TCG)", "bare qemu", bare, "hullbox", ours)

        hullbox("vm", "start", "bench", env=env)
        _wait_for(machine_dir / "console.log", READY)
        qmp = machine_dir / "qmp.sock"
        save_cli, load_cli, save_qmp, load_qmp = [], [], [], []
        for run in range(args.runs):
            tag = f"s{run}"
            save_cli.append(_timed(hullbox, "vm", "snapshot", "save", "bench", tag, env=env))
            load_cli.append(_timed(hullbox, "vm", "snapshot", "restore", "bench", tag, env=env))
            with Monitor(qmp, "bench") as monitor:
                save_qmp.append(_timed(monitor.hmp, f"savevm q{run}", timeout=600))
                load_qmp.append(_timed(monitor.hmp, f"loadvm q{run}", timeout=600))
        _report(f"live snapshot save, {args.memory} guest", "QMP savevm", save_qmp,
                "hullbox vm snapshot save", save_cli)
        _report(f"live snapshot restore, {args.memory} guest", "QMP loadvm", load_qmp,
                "hullbox vm snapshot restore", load_cli)
    finally:
        subprocess.run([*HULLBOX, "vm", "rm", "-f", "bench"], env=env, capture_output=True,
                       check=False)
        shutil.rmtree(work, ignore_errors=True)


def _report(title: str, peer: str, peer_times: list[float], ours: str,
            our_times: list[float]) -> None:
    peer_median, our_median = statistics.median(peer_times), statistics.median(our_times)
    print(f"{title}:")
    print(f"  {peer:<28} median {peer_median * 1000:8.0f} ms")
    print(f"  {ours:<28} median {our_median * 1000:8.0f} ms   "
          f"ratio {our_median / peer_median:.2f}x")


if __name__ == "__main__":
    main()
