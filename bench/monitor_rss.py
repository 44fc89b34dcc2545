"""Idle memory of a detached container's keeper: hullbox's monitor against
podman's conmon, side by side (issue 3: target under 12 MB RSS).

Run with the repo venv's interpreter, as root, after bench/setup_peers.sh
(which installs podman and imports busybox into it):

    .venv/bin/python bench/monitor_rss.py [--containers 3] [--settle 2] [--json FILE]

Each engine starts N containers that sleep (`run -d --network none busybox
sleep 600`), waits for them to settle, and reads the keeper process of each
(the container's parent: hullbox's monitor, podman's conmon): VmRSS (with its
anonymous and file-backed parts) and PSS, which splits shared pages among the
processes sharing them. The medians are printed with the ratio to conmon.
This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HULLBOX = [str(Path(sys.executable).parent / "hullbox")]
FIELDS = ("VmRSS", "RssAnon", "RssFile", "Pss")


def _memory_kb(pid: int) -> dict[str, int]:
    """The process's VmRSS/RssAnon/RssFile (status) and Pss (smaps_rollup), kB."""
    values: dict[str, int] = {}
    for name in ("status", "smaps_rollup"):
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in FIELDS and rest.split():
                values[key] = int(rest.split()[0])
    return values


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:80]


def _run(argv: list[str], env: dict[str, str] | None = None) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, check=True, env=env)
    return result.stdout.strip()


def measure_hullbox(count: int, settle: float) -> list[dict[str, int]]:
    """Start ``count`` idle containers in a private store; their monitors' memory."""
    with tempfile.TemporaryDirectory(prefix="hullbox-rss-") as scratch:
        env = {"HULLBOX_ROOT": f"{scratch}/store", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
        tar = f"{scratch}/rootfs.tar"
        subprocess.run([str(REPO / "scripts" / "make-busybox-rootfs.sh"), tar], check=True,
                       capture_output=True)
        _run([*HULLBOX, "import", tar, "busybox:latest"], env=env)
        ids = [_run([*HULLBOX, "run", "-d", "--network", "none", "busybox", "sleep", "600"],
                    env=env) for _ in range(count)]
        try:
            time.sleep(settle)
            samples = []
            for container_id in ids:
                pid = int(_run([*HULLBOX, "inspect", "-f", "{{.State.Pid}}", container_id],
                               env=env))
                monitor = _parent(pid)
                print(f"hullbox monitor {monitor}: {_cmdline(monitor)}...", file=sys.stderr)
                samples.append(_memory_kb(monitor))
            return samples
        finally:
            subprocess.run([*HULLBOX, "rm", "-f", *ids], env=env, capture_output=True,
                           check=False)


def measure_podman(count: int, settle: float) -> list[dict[str, int]]:
    """The same with podman; the keeper is conmon (State.ConmonPid)."""
    ids = [_run(["podman", "run", "-d", "--network", "none", "busybox", "sleep", "600"])
           for _ in range(count)]
    try:
        time.sleep(settle)
        samples = []
        for container_id in ids:
            conmon = int(_run(["podman", "inspect", "-f", "{{.State.ConmonPid}}",
                               container_id]))
            print(f"podman conmon {conmon}: {_cmdline(conmon)}...", file=sys.stderr)
            samples.append(_memory_kb(conmon))
        return samples
    finally:
        subprocess.run(["podman", "rm", "-f", "-t", "0", *ids], capture_output=True,
                       check=False)


def _medians(samples: list[dict[str, int]]) -> dict[str, float]:
    return {key: statistics.median(s[key] for s in samples) for key in FIELDS}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--containers", type=int, default=3)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds before reading")
    parser.add_argument("--json", help="also write the medians here")
    args = parser.parse_args()

    results = {"hullbox monitor": _medians(measure_hullbox(args.containers, args.settle))}
    if shutil.which("podman"):
        try:
            results["podman conmon"] = _medians(measure_podman(args.containers, args.settle))
        except subprocess.CalledProcessError as exc:
            print(f"podman: unavailable ({exc.stderr.strip()[:200]}); run "
                  "bench/setup_peers.sh", file=sys.stderr)
    else:
        print("podman: not installed; run bench/setup_peers.sh", file=sys.stderr)

    print(f"idle keeper memory, median of {args.containers} containers (MB)")
    print(f"{'':18}" + "".join(f"{key:>10}" for key in FIELDS))
    for name, values in results.items():
        print(f"{name:18}" + "".join(f"{values[key] / 1024:>10.1f}" for key in FIELDS))
    if "podman conmon" in results:
        ours, theirs = results["hullbox monitor"], results["podman conmon"]
        print("hullbox / conmon  " + "".join(f"{ours[k] / theirs[k]:>9.1f}x" for k in FIELDS))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
