"""``hullbox run --isolation vm`` start-up, side by side (a benchmark: it
asserts nothing).

    .venv/bin/python bench/vm_start.py [--runs 5] [--cold-runs 2]

Every row runs ``true`` in busybox and is timed from launch to exit:

- bare qemu: a cold boot of the same guest kernel by a bare QEMU command line
  (microvm, TCG, a busybox initramfs whose init runs ``true`` and powers off);
- hullbox vm, cold: ``run --rm --isolation vm busybox true`` with no template
  and no image disk (the first run of an image: a boot, a snapshot, mkfs);
- hullbox vm, warm: the same once the snapshots exist (a restore of the
  image's snapshot), with ``--network none`` as the bare boot has no NIC;
- hullbox vm, warm, bridge: the same on the default network (a tap joined to
  the container's eth0, the guest's address set after the restore);
- hullbox vm, kept: ``run --isolation vm busybox true`` without --rm (a
  kept container's first start: the snapshot with its empty disk mounted);
- hullbox vm, restart: ``start -a`` of that stopped container (the image's
  snapshot, its disk mounted after the restore);
- hullbox vm, warm, -v share: the warm run with ``-v DIR:/data`` (DIR holds
  100 files of 4 KiB and one of ``--volume-mib``), a live virtio-9p share;
- hullbox vm, warm, -v copy: the same on a guest kernel without 9p modules,
  where the volume is an ext4 copy made before the run and copied back after;
- hullbox container: ``run --rm busybox true`` (namespaces, for scale).

Rounds alternate the sides, so the host's CPU steal hits them alike; only
the ratios to the bare boot mean anything (../shared/PEERS.md).
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
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from hullbox.vm.accel import QEMU, host_tsc_khz  # noqa: E402
from hullbox.vm.initramfs import busybox_initramfs  # noqa: E402
from hullbox.vm.kernel import guest_kernel  # noqa: E402
from hullbox.vm.micro.guest import EARLY_MODULES, NET_MODULES  # noqa: E402
from hullbox.vm.micro.shares import share_module_files  # noqa: E402

INIT = """#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox true
/bin/busybox poweroff -f
"""
HULLBOX = [str(Path(sys.executable).parent / "hullbox")]


def bare_boot(kernel: Path, initrd: Path) -> float:
    argv = [QEMU, "-M", "microvm,acpi=on,x-option-roms=off", "-accel", "tcg", "-m", "256M",
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            "-serial", "null", "-kernel", str(kernel), "-initrd", str(initrd),
            "-append", f"console=ttyS0 quiet panic=-1 pci=off tsc_early_khz={host_tsc_khz()} "
                       "no_timer_check"]
    return _timed(argv, None)


def _timed(argv: list[str], env: dict[str, str] | None) -> float:
    start = time.monotonic()
    subprocess.run(argv, env=env, check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.monotonic() - start


def kernel_without_9p(kernel: Path, into: Path) -> Path:
    """A copy of the guest kernel with its microVM modules but no 9p: the
    volume copy path."""
    real = kernel.resolve()
    version = real.name.removeprefix("vmlinuz-")
    modules = into / "lib" / "modules" / version
    modules.mkdir(parents=True)
    shutil.copy(real, into / real.name)
    for module in (real.parent / "lib" / "modules" / version).rglob("*.ko"):
        if module.stem in (*EARLY_MODULES, *NET_MODULES):
            (modules / module.name).symlink_to(module)
    return into / real.name


def volume_dir(path: Path, mib: int) -> Path:
    path.mkdir()
    for index in range(100):
        (path / f"file{index}").write_bytes(os.urandom(4096))
    (path / "big").write_bytes(os.urandom(mib << 20))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cold-runs", type=int, default=2)
    parser.add_argument("--volume-mib", type=int, default=16,
                        help="the size of the big file in the -v rows' directory")
    args = parser.parse_args()
    kernel = guest_kernel()
    work = Path(tempfile.mkdtemp(prefix="hbvmstart-"))
    root = work / "root"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["HULLBOX_ROOT"] = str(root)
    run_vm = [*HULLBOX, "run", "--rm", "--network", "none", "--isolation", "vm", "busybox", "true"]
    run_vm_bridged = [*HULLBOX, "run", "--rm", "--isolation", "vm", "busybox", "true"]
    run_container = [*HULLBOX, "run", "--rm", "busybox", "true"]
    run_vm_kept = [*HULLBOX, "run", "--network", "none", "--isolation", "vm", "busybox", "true"]
    restart_vm = [*HULLBOX, "start", "-a", "bench-kept"]
    volume = ["-v", f"{work / 'volume'}:/data"]
    run_vm_volume = [*run_vm[:2], *volume, *run_vm[2:]]
    if not share_module_files(kernel):
        sys.exit("the guest kernel has no 9p modules: run scripts/build-guest-9p.sh")
    copy_env = {**env, "HULLBOX_GUEST_KERNEL": str(kernel_without_9p(kernel, work / "k"))}
    try:
        initrd = busybox_initramfs(INIT).write(work / "initrd.gz")
        subprocess.run([str(REPO / "scripts" / "make-busybox-rootfs.sh"), str(work / "bb.tar")],
                       check=True, capture_output=True)
        subprocess.run([*HULLBOX, "import", str(work / "bb.tar"), "busybox:latest"], env=env,
                       check=True, capture_output=True)
        volume_dir(work / "volume", args.volume_mib)
        times: dict[str, list[float]] = {"bare": [], "cold": [], "warm": [], "bridged": [],
                                         "kept": [], "restart": [], "container": [],
                                         "share": [], "copy": []}
        for _ in range(args.cold_runs):
            times["bare"].append(bare_boot(kernel, initrd))
            shutil.rmtree(root / "microvm", ignore_errors=True)
            times["cold"].append(_timed(run_vm, env))
        _timed(run_vm_bridged, env)  # its own template (a machine with a NIC)
        _timed([*run_vm_kept[:2], "--name", "bench-kept", *run_vm_kept[2:]], env)
        _timed(run_vm_volume, env)  # the template with shares, and its image snapshot
        _timed(run_vm_volume, copy_env)  # the 9p-less kernel's
        for _ in range(args.runs):
            times["bare"].append(bare_boot(kernel, initrd))
            times["warm"].append(_timed(run_vm, env))
            times["bridged"].append(_timed(run_vm_bridged, env))
            times["kept"].append(_timed(run_vm_kept, env))
            times["restart"].append(_timed(restart_vm, env))
            times["container"].append(_timed(run_container, env))
            times["share"].append(_timed(run_vm_volume, env))
            times["copy"].append(_timed(run_vm_volume, copy_env))
        _report(times)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _report(times: dict[str, list[float]]) -> None:
    bare = statistics.median(times["bare"])
    rows = [("bare qemu cold boot (microvm, TCG)", "bare"),
            ("hullbox run --isolation vm, cold", "cold"),
            ("hullbox run --isolation vm, warm", "warm"),
            ("hullbox run --isolation vm, warm, bridge network", "bridged"),
            ("hullbox run --isolation vm, kept (no --rm), first start", "kept"),
            ("hullbox start -a of a stopped microVM container", "restart"),
            ("hullbox run --isolation vm, warm, -v share (9p)", "share"),
            ("hullbox run --isolation vm, warm, -v copy (no 9p)", "copy"),
            ("hullbox run (container)", "container")]
    print("| busybox true, launch to exit | median | min | max | / bare boot |")
    print("|---|---|---|---|---|")
    for title, key in rows:
        values = times[key]
        median = statistics.median(values)
        print(f"| {title} | {median * 1000:.0f} ms | {min(values) * 1000:.0f} ms | "
              f"{max(values) * 1000:.0f} ms | {median / bare:.2f} |")
    warm = statistics.median(times["warm"])
    print(f"\nA -v share costs {statistics.median(times['share']) / warm:.2f}x a warm run "
          f"without volumes; a copied -v costs {statistics.median(times['copy']) / warm:.2f}x.")


if __name__ == "__main__":
    main()
