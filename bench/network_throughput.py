"""Networking figures, side by side, as ratios:

- TCP throughput host -> container through a published port (nftables DNAT,
  veth, bridge) against the same transfer over the host's loopback (the
  limit). Same sender (this script, sendall of 1 MiB buffers) and same
  receiver (the image's busybox ``nc -l`` writing to /dev/null, run on the
  host for the loopback case) in both; the time runs
  from connect until the receiver has everything and closes.
- ``hullbox run --rm`` latency on the default bridge against ``--network
  none``, alternating the two, so the extra cost of networking shows.

    .venv/bin/python bench/network_throughput.py [--mib 1024] [--rounds 3] [--runs 15]

Compile the bytecode first (``python -m compileall src``) and unset
PYTHONDONTWRITEBYTECODE, or every run pays for compiling hullbox. Needs
root, nftables and the shared corpora; it makes its own store under /tmp
and removes it (its bridge goes with it). Asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HULLBOX = str(Path(sys.executable).parent / "hullbox")
MUSL = REPO.parent / "shared" / "corpora" / "rootfs" / "busybox-1.38.0-musl-amd64-rootfs.tar.gz"
CHUNK = b"\0" * (1 << 20)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        return int(sock.getsockname()[1])


def send(port: int, mib: int) -> float:
    """Seconds to push ``mib`` MiB to 127.0.0.1:port and see the receiver close."""
    deadline = time.monotonic() + 10
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    with sock:
        start = time.perf_counter()
        for _ in range(mib):
            sock.sendall(CHUNK)
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass
        return time.perf_counter() - start


def loopback(busybox: Path, mib: int) -> float:
    port = free_port()
    receiver = subprocess.Popen([str(busybox), "nc", "-l", "-p", str(port)],
                                stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.2)
        return send(port, mib)
    finally:
        receiver.kill()
        receiver.wait()


def published(env: dict[str, str], mib: int) -> float:
    port = free_port()
    subprocess.run([HULLBOX, "run", "-d", "--name", "sink", "-p", f"{port}:5001", "bbmusl",
                    "sh", "-c", "nc -l -p 5001 > /dev/null"], env=env, check=True,
                   capture_output=True)
    try:
        return send(port, mib)
    finally:
        subprocess.run([HULLBOX, "rm", "-f", "sink"], env=env, capture_output=True, check=False)


def run_latency(env: dict[str, str], runs: int) -> tuple[list[float], list[float]]:
    bridge, none = [], []
    for _ in range(runs):
        for network, samples in (("bridge", bridge), ("none", none)):
            start = time.perf_counter()
            subprocess.run([HULLBOX, "run", "--rm", "--network", network, "bbmusl", "true"],
                           env=env, check=True, capture_output=True)
            samples.append((time.perf_counter() - start) * 1000)
    return bridge, none


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if os.geteuid() != 0 or not MUSL.exists():
        print("needs root and the shared corpora (busybox musl rootfs)", file=sys.stderr)
        return 1
    root = Path(tempfile.mkdtemp(prefix="hullbox-netbench-"))
    env = dict(os.environ, HULLBOX_ROOT=str(root))
    try:
        tar = root.parent / f"{root.name}.tar"
        tar.write_bytes(gzip.decompress(MUSL.read_bytes()))
        subprocess.run([HULLBOX, "import", str(tar), "bbmusl"], env=env, check=True,
                       capture_output=True)
        # The same static (musl) busybox as in the container receives on the host.
        import tarfile

        with tarfile.open(tar) as archive:
            member = archive.getmember("bin/busybox")
            archive.extract(member, root / "host")  # one regular file, by name
        busybox = root / "host" / "bin" / "busybox"
        tar.unlink()
        lo, pub = [], []
        for _ in range(args.rounds):  # alternate, so the host's noise hits both
            lo.append(args.mib / loopback(busybox, args.mib))
            pub.append(args.mib / published(env, args.mib))
        lo_m, pub_m = statistics.median(lo), statistics.median(pub)
        print(f"TCP, {args.mib} MiB, median of {args.rounds}:")
        print(f"  loopback 127.0.0.1        {lo_m:8.0f} MiB/s")
        print(f"  published port (DNAT)    {pub_m:8.0f} MiB/s   ratio {pub_m / lo_m:.2f}")
        bridge, none = run_latency(env, args.runs)
        b, n = statistics.median(bridge), statistics.median(none)
        print(f"run --rm true, median of {args.runs}, alternating:")
        print(f"  --network none           {n:8.1f} ms")
        print(f"  default bridge           {b:8.1f} ms   ratio {b / n:.2f}, extra {b - n:+.1f} ms")
    finally:
        for cid in subprocess.run([HULLBOX, "ps", "-aq"], env=env, capture_output=True,
                                  text=True).stdout.split():
            subprocess.run([HULLBOX, "rm", "-f", cid], env=env, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
        from hullbox.network.bridge import sweep_orphans

        sweep_orphans()
    return 0


if __name__ == "__main__":
    sys.exit(main())
