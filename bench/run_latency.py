"""Side-by-side `run` latency: hullbox against runc, crun, podman, docker and the floor.

Run with the repo venv's interpreter, after bench/setup_peers.sh (as root):

    .venv/bin/python bench/run_latency.py [--runs 20] [--warmup 2] [--json FILE] [--markdown]

Every command runs once per round, round-robin (A B C D E F, A B C D E F, ...),
so the host's CPU steal hits all of them alike; only the ratios measured in one
run mean anything (PEERS.md). A command that exits non-zero is reported as
failed, never timed. This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = Path("/tmp/hullbox-bench")
DEFAULT_BUNDLE = BENCH_DIR / "bundle"
DEFAULT_DOCKER_SOCK = Path("/tmp/hullbox-bench-docker/docker.sock")
# /usr/local/bin/docker (a newer static CLI) may shadow Debian's docker.io CLI.
DEBIAN_DOCKER = Path("/usr/bin/docker")
RUN_TIMEOUT_S = 60.0
# crun refuses hybrid cgroup hosts: hide the cgroup2 mount in a private mount ns.
CRUN_WRAPPER = 'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun "$@"'


@dataclass
class Contender:
    """One command line being measured; `argv_for(n)` gives the argv of run n."""

    name: str
    display: str
    argv_for: Callable[[int], list[str]]
    cleanup_for: Callable[[int], list[str]] | None = None
    version_argv: list[str] | None = None
    samples_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    version: str = ""


@dataclass
class Outcome:
    """The result of running one command once."""

    ok: bool
    elapsed_ms: float
    detail: str = ""


# ---------------------------------------------------------------- running


def run_once(argv: Sequence[str]) -> Outcome:
    """Run argv once with output discarded; time it with perf_counter."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Outcome(False, (time.perf_counter() - start) * 1000, str(exc))
    elapsed_ms = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        return Outcome(False, elapsed_ms, f"exit {proc.returncode}")
    return Outcome(True, elapsed_ms)


def probe(argv: Sequence[str]) -> str | None:
    """Run argv once, capturing output; return None on success or why it failed."""
    try:
        proc = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if proc.returncode == 0:
        return None
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [""]
    return f"exit {proc.returncode}: {tail[0][:200]}"


def first_line(argv: Sequence[str]) -> str:
    """First line of a command's output (for version strings), or ''."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    lines = (proc.stdout or proc.stderr).strip().splitlines()
    return lines[0] if lines else ""


# ---------------------------------------------------------------- contenders


def hullbox_path() -> Path:
    """The hullbox next to this interpreter (the venv's), never one on PATH."""
    return Path(sys.executable).parent / "hullbox"


def ensure_hullbox_image(hullbox: Path) -> str | None:
    """Import busybox:latest into hullbox's store if `hullbox images` lacks it."""
    try:
        listing = subprocess.run(
            [str(hullbox), "images"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"hullbox images failed: {exc}"
    if listing.returncode == 0 and "busybox" in listing.stdout:
        return None
    for tar in (REPO / "build" / "busybox-rootfs.tar", BENCH_DIR / "busybox-rootfs.tar"):
        if tar.is_file():
            why = probe([str(hullbox), "import", str(tar), "busybox:latest"])
            return None if why is None else f"hullbox import {tar} failed ({why})"
    return "no busybox rootfs tar: run `make bench` or bench/setup_peers.sh"


def make_hullbox() -> Contender | str:
    """The hullbox contender, or why it can't run."""
    hullbox = hullbox_path()
    if not hullbox.exists():
        return "not installed yet"
    why = ensure_hullbox_image(hullbox)
    if why:
        return why
    argv = [str(hullbox), "run", "--rm", "--network", "none", "busybox", "true"]
    return Contender(
        "hullbox",
        "hullbox run --rm --network none busybox true",
        lambda n: argv,
        version_argv=[str(hullbox), "--version"],
    )


def container_id(runtime: str, n: int) -> str:
    """A container id unique to this benchmark process and run number."""
    return f"bench-{runtime}-{os.getpid()}-{n}"


def make_runc(bundle: Path) -> Contender | str:
    """runc run of the prepared busybox bundle."""
    if not shutil.which("runc"):
        return "runc not installed (bench/setup_peers.sh)"
    if not (bundle / "config.json").is_file():
        return f"no bundle at {bundle} (bench/setup_peers.sh)"
    return Contender(
        "runc",
        "runc run --bundle B <id>",
        lambda n: ["runc", "run", "--bundle", str(bundle), container_id("runc", n)],
        cleanup_for=lambda n: ["runc", "delete", "--force", container_id("runc", n)],
        version_argv=["runc", "--version"],
    )


def make_crun(bundle: Path) -> Contender | str:
    """crun run of the same bundle, inside a mount ns that hides cgroup2 (PEERS.md)."""
    if not shutil.which("crun"):
        return "crun not installed (bench/setup_peers.sh)"
    if not (bundle / "config.json").is_file():
        return f"no bundle at {bundle} (bench/setup_peers.sh)"
    wrapper = ["unshare", "--mount", "--propagation", "private", "sh", "-c", CRUN_WRAPPER, "crun"]
    return Contender(
        "crun",
        "crun run --bundle B <id> (via unshare, unified cgroup2 hidden)",
        lambda n: [*wrapper, "run", "--bundle", str(bundle), container_id("crun", n)],
        cleanup_for=lambda n: ["crun", "delete", "--force", container_id("crun", n)],
        version_argv=["crun", "--version"],
    )


def make_podman() -> Contender | str:
    """podman run with no network."""
    if not shutil.which("podman"):
        return "podman not installed (bench/setup_peers.sh)"
    argv = ["podman", "run", "--rm", "--network", "none", "busybox", "true"]
    return Contender("podman", " ".join(argv), lambda n: argv, version_argv=["podman", "--version"])


def make_docker(sock: Path) -> Contender | str:
    """docker run against the private dockerd that setup_peers.sh started."""
    if not DEBIAN_DOCKER.exists():
        return f"{DEBIAN_DOCKER} missing: apt-get install docker.io (bench/setup_peers.sh)"
    if not sock.is_socket():
        return f"no dockerd socket at {sock} (bench/setup_peers.sh starts one)"
    base = [str(DEBIAN_DOCKER), "-H", f"unix://{sock}"]
    argv = [*base, "run", "--rm", "--network", "none", "busybox", "true"]
    return Contender(
        "docker",
        "docker -H unix://S run --rm --network none busybox true",
        lambda n: argv,
        version_argv=[*base, "version", "--format", "{{.Server.Version}}"],
    )


def make_floor(bundle: Path) -> Contender | str:
    """The floor: fresh namespaces and a chroot, nothing else."""
    rootfs = bundle / "rootfs"
    if not (rootfs / "bin" / "true").exists():
        return f"no rootfs at {rootfs} (bench/setup_peers.sh)"
    argv = [
        "unshare",
        "--mount",
        "--pid",
        "--net",
        "--uts",
        "--ipc",
        "--fork",
        "chroot",
        str(rootfs),
        "/bin/true",
    ]
    return Contender(
        "floor", "unshare --mount --pid --net --uts --ipc --fork chroot R /bin/true", lambda n: argv
    )


def gather(args: argparse.Namespace) -> list[Contender]:
    """Build every contender, probe it once, and keep those that work."""
    candidates: list[tuple[str, Contender | str]] = [
        ("hullbox", make_hullbox()),
        ("runc", make_runc(args.bundle)),
        ("crun", make_crun(args.bundle)),
        ("podman", make_podman()),
        ("docker", make_docker(args.docker_socket)),
        ("floor", make_floor(args.bundle)),
    ]
    ready: list[Contender] = []
    for name, made in candidates:
        if isinstance(made, str):
            print(f"{name}: {made}; skipped", file=sys.stderr)
            continue
        why = probe(made.argv_for(-1))
        cleanup(made, -1)
        if why:
            print(f"{name}: `{made.display}` fails ({why}); skipped", file=sys.stderr)
            continue
        if made.version_argv:
            made.version = first_line(made.version_argv)
        ready.append(made)
    return ready


def cleanup(contender: Contender, n: int) -> None:
    """Remove the state a failed runtime run may leave behind."""
    if contender.cleanup_for is not None:
        subprocess.run(contender.cleanup_for(n), capture_output=True, check=False)


# ---------------------------------------------------------------- measuring


def measure(contenders: list[Contender], runs: int, warmup: int) -> None:
    """Round-robin every contender: `warmup` discarded rounds, then `runs` timed ones."""
    for n, contender in itertools.product(range(warmup + runs), contenders):
        outcome = run_once(contender.argv_for(n))
        if not outcome.ok:
            cleanup(contender, n)
            contender.failures.append(f"run {n}: {outcome.detail}")
        elif n >= warmup:
            contender.samples_ms.append(outcome.elapsed_ms)


# ---------------------------------------------------------------- reporting


@dataclass
class Row:
    """Summary of one contender."""

    name: str
    display: str
    median: float | None
    low: float | None
    high: float | None
    ok: int
    failed: int


def summarise(contender: Contender) -> Row:
    """Median, min and max of a contender's samples."""
    s = contender.samples_ms
    return Row(
        contender.name,
        contender.display,
        statistics.median(s) if s else None,
        min(s) if s else None,
        max(s) if s else None,
        len(s),
        len(contender.failures),
    )


def fmt_ms(value: float | None) -> str:
    """Milliseconds with one decimal, or '-'."""
    return "-" if value is None else f"{value:.1f}"


def ratio_text(hullbox: Row | None, row: Row) -> str:
    """'1.6x' for hullbox's median over this row's median, or '-'."""
    if hullbox is None or hullbox.median is None or not row.median or row is hullbox:
        return "-"
    return f"{hullbox.median / row.median:.2f}x"


def table_cells(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    """Header and cell strings of the result table."""
    hb = next((r for r in rows if r.name == "hullbox"), None)
    header = ["command", "median ms", "min", "max", "ok/failed", "hullbox / this"]
    cells = [
        [
            r.display,
            fmt_ms(r.median),
            fmt_ms(r.low),
            fmt_ms(r.high),
            f"{r.ok}/{r.failed}",
            ratio_text(hb, r),
        ]
        for r in rows
    ]
    return header, cells


def render_plain(header: list[str], cells: list[list[str]]) -> str:
    """An aligned plain-text table."""
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
    lines = []
    for row in [header, *cells]:
        first = row[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join([first, *rest]))
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(header: list[str], cells: list[list[str]]) -> str:
    """The same table as GitHub Markdown."""

    def line(row: list[str]) -> str:
        return "| " + " | ".join(row) + " |"

    quoted = [[f"`{row[0]}`", *row[1:]] for row in cells]
    align = "|---|" + "---:|" * (len(header) - 1)
    return "\n".join([line(header), align, *(line(r) for r in quoted)])


def ratio_lines(rows: list[Row]) -> list[str]:
    """'hullbox / runc = 1.60x' for every peer."""
    hb = next((r for r in rows if r.name == "hullbox"), None)
    if hb is None or hb.median is None:
        return ["hullbox: not measured, no ratios"]
    return [f"hullbox / {r.name} = {ratio_text(hb, r)}" for r in rows if r is not hb]


def write_json(path: Path, contenders: list[Contender], args: argparse.Namespace) -> None:
    """Raw samples plus enough context to compare runs later."""
    data = {
        "benchmark": "run_latency",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": {"kernel": platform.release(), "cpus": os.cpu_count()},
        "runs": args.runs,
        "warmup": args.warmup,
        "order": "round-robin",
        "contenders": [
            {
                "name": c.name,
                "command": c.display,
                "version": c.version,
                "samples_ms": [round(s, 3) for s in c.samples_ms],
                "failures": c.failures,
                "median_ms": summarise(c).median,
            }
            for c in contenders
        ],
    }
    path.write_text(json.dumps(data, indent=2) + "\n")


def report(contenders: list[Contender], args: argparse.Namespace) -> None:
    """Print the table, the ratios, versions and failures."""
    rows = [summarise(c) for c in contenders]
    header, cells = table_cells(rows)
    title = f"run latency, {args.runs} runs each, round-robin after {args.warmup} warm-up rounds"
    if args.markdown:
        print(f"{title}\n\n{render_markdown(header, cells)}\n")
    else:
        print(f"{title}\n\n{render_plain(header, cells)}\n")
    for line in ratio_lines(rows):
        print(line)
    for c in contenders:
        if c.version:
            print(f"version {c.name}: {c.version}", file=sys.stderr)
        for failure in c.failures[:5]:
            print(f"FAILED {c.name} {failure}", file=sys.stderr)
    if args.json:
        write_json(args.json, contenders, args)
        print(f"raw samples written to {args.json}", file=sys.stderr)


# ---------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--runs", type=int, default=20, help="timed runs per command (default 20)")
    p.add_argument("--warmup", type=int, default=2, help="discarded rounds first (default 2)")
    p.add_argument("--json", type=Path, metavar="FILE", help="write raw samples to FILE")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE, help="runc/crun bundle")
    p.add_argument(
        "--docker-socket",
        type=Path,
        default=DEFAULT_DOCKER_SOCK,
        help="socket of the private dockerd",
    )
    args = p.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        p.error("--runs must be >= 1 and --warmup >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Probe, measure round-robin, report. Exit 1 only when nothing could run."""
    args = parse_args(argv)
    if os.geteuid() != 0:
        print("run_latency: peers need root; some will be skipped", file=sys.stderr)
    contenders = gather(args)
    if not contenders:
        print("run_latency: nothing to measure; run bench/setup_peers.sh", file=sys.stderr)
        return 1
    measure(contenders, args.runs, args.warmup)
    report(contenders, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
