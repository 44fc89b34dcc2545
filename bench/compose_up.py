"""Side-by-side `compose up -d` and `compose down -v` of a small project:
hullbox against podman-compose (Debian's podman-compose, driving podman).

Run with the repo venv's interpreter, as root, after bench/setup_peers.sh
(which imports busybox into podman):

    .venv/bin/python bench/compose_up.py [--rounds 5] [--json FILE]

The project: three busybox services (db with a named volume, app depending
on db, web publishing a port on 127.0.0.1), each with ``init: true``, on the
project's default network. Rounds alternate the engines (hullbox, podman-compose,
hullbox, ...) so the host's CPU steal hits both alike; only the ratios of one
run mean anything (PEERS.md). This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
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
BENCH_DIR = Path("/tmp/hullbox-bench")
PROJECT = """services:
  db:
    image: busybox
    command: sleep 300
    init: true
    volumes: [data:/data]
  app:
    image: busybox
    command: sleep 300
    init: true
    depends_on: [db]
  web:
    image: busybox
    command: httpd -f -p 80 -h /
    init: true
    ports: ["127.0.0.1:{port}:80"]
    depends_on: [app]
volumes:
  data: {{}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _hullbox() -> list[str]:
    script = Path(sys.executable).parent / "hullbox"
    return [str(script)] if script.exists() else [sys.executable, "-m", "hullbox.cli.main"]


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Seconds the command took; RuntimeError with its output when it failed."""
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=300, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}): "
                           f"{(result.stderr or result.stdout)[-800:]}")
    return elapsed


def _hullbox_store(root: Path) -> None:
    """A private store with busybox:latest, made from the host's static busybox."""
    if (root / "hullbox.db").exists():
        return
    tar = root.parent / "busybox-rootfs.tar"
    subprocess.run([str(REPO / "scripts" / "make-busybox-rootfs.sh"), str(tar)], check=True,
                   capture_output=True)
    subprocess.run([*_hullbox(), "--root", str(root), "import", str(tar), "busybox:latest"],
                   check=True, capture_output=True)


def _peer_ready() -> str:
    if shutil.which("podman-compose") is None:
        return "podman-compose is not installed (apt-get install podman-compose)"
    images = subprocess.run(["podman", "image", "exists", "busybox:latest"], check=False)
    if images.returncode != 0:
        return "podman has no busybox:latest; run bench/setup_peers.sh"
    return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="Also write the samples here.")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("compose_up: needs root (both engines run rootful here)", file=sys.stderr)
        return 2
    missing = _peer_ready()
    if missing:
        print(f"compose_up: {missing}", file=sys.stderr)
        return 2
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    root = BENCH_DIR / "compose-store"
    _hullbox_store(root)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["HULLBOX_ROOT"] = str(root)
    engines = {
        "hullbox": [*_hullbox(), "compose", "-p", "hbbench"],
        "podman-compose": ["podman-compose", "-p", "pcbench"],
    }
    samples: dict[str, dict[str, list[float]]] = {e: {"up": [], "down": []} for e in engines}
    with tempfile.TemporaryDirectory(prefix="compose-bench-") as tmp:
        project = Path(tmp)
        for _round in range(args.rounds):
            for engine, argv in engines.items():
                (project / "compose.yaml").write_text(PROJECT.format(port=_free_port()))
                try:
                    samples[engine]["up"].append(_timed([*argv, "up", "-d"], project, env))
                finally:
                    samples[engine]["down"].append(
                        _timed([*argv, "down", "-v", "-t", "10"], project, env))
    print(f"compose up -d / down -v of 3 busybox services, {args.rounds} rounds, medians (s)")
    print("| step | hullbox | podman-compose | hullbox / podman-compose |")
    print("|---|---|---|---|")
    for step in ("up", "down"):
        ours = statistics.median(samples["hullbox"][step])
        theirs = statistics.median(samples["podman-compose"][step])
        print(f"| {step} | {ours:.2f} | {theirs:.2f} | {ours / theirs:.2f} |")
    if args.json:
        args.json.write_text(json.dumps(samples, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
