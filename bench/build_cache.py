"""Side-by-side build times: hullbox against buildah on one 10-step Dockerfile
and context, each with a private store (root).

    .venv/bin/python bench/build_cache.py [--runs 3]

Measured here (3 runs, medians): cold 1110 vs 5033 ms (0.22x), cached 428 vs
1803 ms (0.24x), one file changed 528 vs 3311 ms (0.16x).

Three cases, alternating the engines in each run: a cold build (empty cache),
a no-op rebuild (everything cached) and a rebuild after one source file
changed. Prints medians and hullbox/buildah ratios (below 1: hullbox faster).
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

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = """\
FROM busybox
ENV APP=/app
WORKDIR /app
RUN echo one > /one
RUN mkdir -p /app/data && echo two > /app/data/two
COPY deps.txt /app/
RUN wc -l /app/deps.txt > /app/deps.count
COPY src/ /app/src/
RUN ls -R /app/src > /app/listing
CMD ["cat", "/app/listing"]
"""


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env)
    return time.perf_counter() - started


def make_context(root: Path) -> Path:
    ctx = root / "ctx"
    (ctx / "src").mkdir(parents=True)
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    (ctx / "deps.txt").write_text("".join(f"dep{i}\n" for i in range(100)))
    for i in range(50):
        (ctx / "src" / f"m{i}.py").write_text(f"x = {i}\n" * 50)
    return ctx


class Engine:
    def __init__(self, name: str, build: list[str], env: dict[str, str] | None,
                 reset: Callable[[], None]) -> None:
        self.name = name
        self.build = build
        self.env = env
        self.reset = reset
        self.times: dict[str, list[float]] = {"cold": [], "cached": [], "one file changed": []}


def hullbox_engine(work: Path, ctx: Path, rootfs: Path) -> Engine:
    exe = str(Path(sys.executable).parent / "hullbox")
    env = dict(os.environ, HULLBOX_ROOT=str(work / "hullbox-root"))
    subprocess.run([exe, "import", str(rootfs), "busybox:latest"], check=True, env=env,
                   stdout=subprocess.DEVNULL)

    def reset() -> None:
        subprocess.run([exe, "builder", "prune", "-f"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    return Engine("hullbox", [exe, "build", "-q", "-t", "bench:1", str(ctx)], env, reset)


def buildah_engine(work: Path, ctx: Path, rootfs: Path) -> Engine | None:
    if not shutil.which("buildah") or not shutil.which("podman"):
        return None
    store = ["--root", str(work / "c-root"), "--runroot", str(work / "c-run"),
             "--storage-driver", "overlay"]
    subprocess.run(["podman", *store, "import", str(rootfs), "localhost/busybox:latest"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def reset() -> None:
        subprocess.run(["buildah", *store, "rmi", "--prune"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["buildah", *store, "rmi", "-f", "localhost/bench:1"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return Engine("buildah", ["buildah", *store, "bud", "--layers",
                              "--network", "none", "-q", "-t", "bench:1", str(ctx)], None, reset)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="hullbox-bench-build-") as tmp:
        work = Path(tmp)
        rootfs = work / "busybox.tar"
        subprocess.run([str(REPO / "scripts" / "make-busybox-rootfs.sh"), str(rootfs)],
                       check=True)
        ctx = make_context(work)
        engines = [hullbox_engine(work, ctx, rootfs)]
        peer = buildah_engine(work, ctx, rootfs)
        if peer is None:
            print("buildah/podman not installed: hullbox alone")
        else:
            engines.append(peer)
        for run in range(args.runs):
            for engine in engines:
                engine.reset()
                engine.times["cold"].append(timed(engine.build, engine.env))
                engine.times["cached"].append(timed(engine.build, engine.env))
                (ctx / "src" / "m0.py").write_text(f"x = {run} {engine.name}\n")
                engine.times["one file changed"].append(timed(engine.build, engine.env))
        print(f"{'case':<18}" + "".join(f"{e.name:>12}" for e in engines) + "   ratio")
        for case in engines[0].times:
            medians = [statistics.median(e.times[case]) for e in engines]
            ratio = f"   {medians[0] / medians[1]:.2f}x" if len(medians) > 1 else ""
            print(f"{case:<18}" + "".join(f"{m * 1000:>10.0f}ms" for m in medians) + ratio)
    return 0


if __name__ == "__main__":
    sys.exit(main())
