"""Container -> container TCP throughput over a bridge network, side by side
with podman, as ratios to the same transfer over the host's loopback.

The same iperf3 (the host's, Debian's iperf3, copied with its libraries into
a one-purpose image that both engines import) runs as server in one
container and as client in another, on a user-defined bridge network of
each engine; the loopback figure is the same pair of iperf3 on the host.
Rounds alternate the three, so the host's noise hits each alike.

    .venv/bin/python bench/bridge_throughput.py [--seconds 5] [--rounds 3]

Needs root, iperf3 and podman (bench/setup_peers.sh); podman runs with its
own --root, and each engine's network takes a free /24 and is removed at
the end. Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HULLBOX = str(Path(sys.executable).parent / "hullbox")
IPERF3 = "/usr/bin/iperf3"


def iperf_rootfs(tar: Path) -> None:
    """A rootfs with iperf3 and the libraries ldd names, at their own paths."""
    listing = subprocess.run(["ldd", IPERF3], capture_output=True, text=True, check=True)
    files = [IPERF3] + [part for line in listing.stdout.splitlines()
                        for part in line.split() if part.startswith("/")]
    with tarfile.open(tar, "w") as archive:
        for name in ("tmp", "etc"):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777 if name == "tmp" else 0o755
            archive.addfile(info)
        for path in files:
            archive.add(os.path.realpath(path), arcname=path.lstrip("/"))


def free_subnet() -> str:
    routes = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True,
                            check=True).stdout
    while True:
        prefix = f"10.{random.randrange(128, 250)}.{random.randrange(256)}."
        if prefix not in routes:
            return prefix + "0/24"


def bits(report: str) -> float:
    """Receiver's Gbit/s from iperf3 -J."""
    return float(json.loads(report)["end"]["sum_received"]["bits_per_second"]) / 1e9


def loopback(seconds: int) -> float:
    server = subprocess.Popen([IPERF3, "-s", "-1", "-p", "25201"],
                              stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        return bits(subprocess.run([IPERF3, "-c", "127.0.0.1", "-p", "25201", "-t",
                                    str(seconds), "-J"], capture_output=True, text=True,
                                   check=True).stdout)
    finally:
        server.wait(timeout=30)


def between(engine: list[str], network: str, seconds: int, env: dict[str, str]) -> float:
    """One transfer from a client container to a server container."""
    name = f"iperfsrv{os.getpid()}"
    subprocess.run([*engine, "run", "-d", "--name", name, "--network", network, "iperf",
                    IPERF3, "-s", "-1"], env=env, check=True, capture_output=True)
    try:
        found = json.loads(subprocess.run([*engine, "inspect", name], env=env, check=True,
                                          capture_output=True, text=True).stdout)
        address = found[0]["NetworkSettings"]["Networks"][network]["IPAddress"]
        time.sleep(0.3)
        out = subprocess.run([*engine, "run", "--rm", "--network", network, "iperf", IPERF3,
                              "-c", address, "-t", str(seconds), "-J"],
                             env=env, check=True, capture_output=True, text=True).stdout
        return bits(out)
    finally:
        subprocess.run([*engine, "rm", "-f", name], env=env, capture_output=True, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if os.geteuid() != 0 or not Path(IPERF3).exists():
        print("needs root and iperf3 (apt-get install iperf3)", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="hullbox-bridgebench-"))
    env = dict(os.environ, HULLBOX_ROOT=str(work / "store"))
    podman = ["podman", "--root", str(work / "podman"), "--runroot", str(work / "podman-run")]
    has_podman = shutil.which("podman") is not None
    network = f"hbbench{os.getpid()}"
    try:
        iperf_rootfs(work / "iperf.tar")
        subprocess.run([HULLBOX, "import", str(work / "iperf.tar"), "iperf"], env=env,
                       check=True, capture_output=True)
        subprocess.run([HULLBOX, "network", "create", "--subnet", free_subnet(), network],
                       env=env, check=True, capture_output=True)
        if has_podman:
            subprocess.run([*podman, "import", str(work / "iperf.tar"), "iperf"], check=True,
                           capture_output=True)
            subprocess.run([*podman, "network", "create", "--subnet", free_subnet(), network],
                           check=True, capture_output=True)
        samples: dict[str, list[float]] = {"loopback": [], "hullbox": [], "podman": []}
        for _ in range(args.rounds):
            samples["loopback"].append(loopback(args.seconds))
            samples["hullbox"].append(between([HULLBOX], network, args.seconds, env))
            if has_podman:
                samples["podman"].append(between(podman, network, args.seconds, env))
        median = {k: statistics.median(v) for k, v in samples.items() if v}
        print(f"TCP container -> container on a bridge, iperf3 -t {args.seconds}, "
              f"median of {args.rounds}, alternating:")
        for engine in ("loopback", "hullbox", "podman"):
            if engine in median:
                spread = f"(min {min(samples[engine]):.2f}, max {max(samples[engine]):.2f})"
                print(f"  {engine:<9} {median[engine]:6.2f} Gbit/s {spread}   "
                      f"{median[engine] / median['loopback']:.2f} of loopback")
        if "podman" in median:
            print(f"  hullbox / podman: {median['hullbox'] / median['podman']:.2f}")
    finally:
        for cid in subprocess.run([HULLBOX, "ps", "-aq"], env=env, capture_output=True,
                                  text=True).stdout.split():
            subprocess.run([HULLBOX, "rm", "-f", cid], env=env, capture_output=True)
        subprocess.run([HULLBOX, "network", "rm", network], env=env, capture_output=True)
        if has_podman:
            subprocess.run([*podman, "rm", "-af"], capture_output=True)
            subprocess.run([*podman, "network", "rm", "-f", network], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
