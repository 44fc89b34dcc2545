"""Side-by-side `compose up -d` of a 10-service project to ALL HEALTHY, and
`compose down -v`: hullbox against podman-compose (driving podman) and
docker-compose 1.29 (driving a private dockerd).

Run with the repo venv's interpreter, as root, after bench/setup_peers.sh
(which installs the peers and starts dockerd on its own socket):

    .venv/bin/python bench/compose_up.py [--rounds 5] [--json FILE]

The project: ten busybox services, each an httpd with a health check that
fetches a page from itself every 250 ms; six depend on `db`, `web` depends
on `api` and publishes a port on 127.0.0.1. All engines run the same image:
hullbox saves it, `docker load` and `podman load` take it in, so the image
is present everywhere and nothing is pulled.

"Up" is timed from the command's start until every container reports healthy:
hullbox by `compose up -d --wait`; docker-compose 1.29 has no --wait, so its
`up -d` is followed by `docker ps` polls. Podman runs health checks from
systemd timers, and this machine has no systemd: each podman container's
check is run by `podman healthcheck run` (all ten at once, every 250 ms, as
the timers would) until it passes. Rounds alternate the engines so the
host's CPU steal hits all alike; only the ratios of one run mean anything
(PEERS.md). A peer that is missing is skipped with the reason. This is a
benchmark, not a test: it asserts nothing.
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = Path("/tmp/hullbox-bench")
DOCKER_SOCK = "unix:///tmp/hullbox-bench-docker/docker.sock"
DOCKER = "/usr/bin/docker"  # Debian's docker.io CLI (a newer one may shadow it)
IMAGE = "localhost/hbbench-busybox:latest"
SERVICES = ["db", "cache", "queue", "auth", "api", "search", "worker", "mail", "admin", "web"]
HEALTH_EVERY = 0.25  # seconds, the checks' interval and the peers' poll period


def project_yaml(port: int) -> str:
    """The 10-service project, `web` published on 127.0.0.1:``port``."""
    lines = ["services:"]
    for name in SERVICES:
        lines += [f"  {name}:", f"    image: {IMAGE}", "    init: true",
                  "    command: httpd -f -p 8080 -h /etc",
                  "    healthcheck:",
                  '      test: ["CMD", "wget", "-q", "-O", "/dev/null",'
                  ' "http://127.0.0.1:8080/hostname"]',
                  "      interval: 250ms", "      timeout: 5s", "      retries: 40"]
        if name == "db":
            lines += ["    volumes: [data:/data]"]
        elif name == "web":
            lines += ["    depends_on: [api]", f'    ports: ["127.0.0.1:{port}:8080"]']
        elif name in ("api", "auth", "search", "worker", "admin", "queue"):
            lines += ["    depends_on: [db]"]
    return "\n".join([*lines, "volumes:", "  data: {}", ""])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _hullbox() -> list[str]:
    script = Path(sys.executable).parent / "hullbox"
    return [str(script)] if script.exists() else [sys.executable, "-m", "hullbox.cli.main"]


def _run(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
         ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=300, check=False)
    if ok and result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({result.returncode}): "
                           f"{(result.stderr or result.stdout)[-800:]}")
    return result


def _hullbox_image(root: Path, env: dict[str, str]) -> Path:
    """A private store with IMAGE (made from the host's static busybox), and
    IMAGE saved as a tar for the peers to load."""
    hullbox = [*_hullbox(), "--root", str(root)]
    if _run([*hullbox, "image", "inspect", IMAGE], env=env, ok=False).returncode != 0:
        tar = BENCH_DIR / "busybox-rootfs.tar"
        if not tar.exists():
            _run([str(REPO / "scripts" / "make-busybox-rootfs.sh"), str(tar)])
        _run([*hullbox, "import", str(tar), IMAGE], env=env)
    saved = BENCH_DIR / "hbbench-busybox.tar"
    _run([*hullbox, "save", "-o", str(saved), IMAGE], env=env)
    return saved


def _all_healthy(statuses: list[str]) -> bool:
    if any("unhealthy" in s or s.startswith(("Exited", "exited")) for s in statuses):
        raise RuntimeError(f"a container failed: {statuses}")
    return len(statuses) == len(SERVICES) and all("(healthy)" in s for s in statuses)


def _docker_wait(project: str, env: dict[str, str]) -> None:
    while not _all_healthy(_run([DOCKER, "ps", "-a", "--filter",
                                 f"label=com.docker.compose.project={project}",
                                 "--format", "{{.Status}}"], env=env).stdout.splitlines()):
        time.sleep(HEALTH_EVERY)


def _podman_check_until_healthy(container: str) -> None:
    while _run(["podman", "healthcheck", "run", container], ok=False).returncode != 0:
        time.sleep(HEALTH_EVERY)


def _podman_wait(project: str, env: dict[str, str]) -> None:
    ids = _run(["podman", "ps", "-aq", "--filter", f"label=io.podman.compose.project={project}"],
               env=env).stdout.split()
    with ThreadPoolExecutor(len(ids) or 1) as pool:
        list(pool.map(_podman_check_until_healthy, ids))
    statuses = _run(["podman", "ps", "-a", "--filter",
                     f"label=io.podman.compose.project={project}", "--format", "{{.Status}}"],
                    env=env).stdout.splitlines()
    if not _all_healthy(statuses):
        raise RuntimeError(f"podman-compose: not all healthy: {statuses}")


class Engine:
    """One compose implementation: how to bring the project up to healthy and down."""

    def __init__(self, name: str, compose: list[str], up: list[str],
                 wait: Callable[[str, dict[str, str]], None] | None, project: str) -> None:
        self.name, self.compose, self.up_args, self.wait = name, compose, up, wait
        self.project = project

    def up(self, cwd: Path, env: dict[str, str]) -> float:
        started = time.perf_counter()
        _run([*self.compose, "-p", self.project, *self.up_args], cwd, env)
        if self.wait is not None:
            self.wait(self.project, env)
        return time.perf_counter() - started

    def down(self, cwd: Path, env: dict[str, str]) -> float:
        started = time.perf_counter()
        _run([*self.compose, "-p", self.project, "down", "-v", "-t", "10"], cwd, env)
        return time.perf_counter() - started


def _peers(saved: Path, env: dict[str, str]) -> tuple[list[Engine], list[str]]:
    """The peers that can run here (IMAGE loaded into each), and why the others cannot."""
    engines, skipped = [], []
    if shutil.which("podman-compose") is None or shutil.which("podman") is None:
        skipped.append("podman-compose: not installed (apt-get install podman-compose)")
    elif (load := _run(["podman", "load", "-i", str(saved)], ok=False)).returncode != 0:
        skipped.append(f"podman-compose: podman load failed: {load.stderr.strip()[-300:]}")
    else:
        engines.append(Engine("podman-compose", ["podman-compose"], ["up", "-d"],
                              _podman_wait, "pcbench"))
    if shutil.which("docker-compose") is None or not os.access(DOCKER, os.X_OK):
        skipped.append("docker-compose: not installed (apt-get install docker-compose "
                       "docker.io)")
    elif _run([DOCKER, "version"], env=env, ok=False).returncode != 0:
        skipped.append(f"docker-compose: no dockerd answers on {DOCKER_SOCK} "
                       "(run bench/setup_peers.sh)")
    elif (load := _run([DOCKER, "load", "-i", str(saved)], env=env, ok=False)).returncode:
        skipped.append(f"docker-compose: docker load failed: {load.stderr.strip()[-300:]}")
    else:
        engines.append(Engine("docker-compose", ["docker-compose"], ["up", "-d"],
                              _docker_wait, "dcbench"))
    return engines, skipped


def _table(samples: dict[str, dict[str, list[float]]], rounds: int) -> None:
    names = list(samples)
    print(f"compose up -d to all healthy / down -v of {len(SERVICES)} busybox services, "
          f"{rounds} rounds, medians (s)")
    print("| step | " + " | ".join(names) + " | "
          + " | ".join(f"hullbox / {n}" for n in names[1:]) + " |")
    print("|---" * (2 * len(names)) + "|")
    for step in ("up", "down"):
        medians = {n: statistics.median(samples[n][step]) for n in names}
        cells = [f"{medians[n]:.2f}" for n in names]
        cells += [f"{medians['hullbox'] / medians[n]:.2f}" for n in names[1:]]
        print(f"| {step} | " + " | ".join(cells) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="Also write the samples here.")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("compose_up: needs root (all engines run rootful here)", file=sys.stderr)
        return 2
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    root = BENCH_DIR / "compose-store"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(HULLBOX_ROOT=str(root), DOCKER_HOST=DOCKER_SOCK)
    saved = _hullbox_image(root, env)
    peers, skipped = _peers(saved, env)
    for reason in skipped:
        print(f"compose_up: skipped {reason}", file=sys.stderr)
    engines = [Engine("hullbox", [*_hullbox(), "compose"], ["up", "-d", "--wait"], None,
                      "hbbench"), *peers]
    samples: dict[str, dict[str, list[float]]] = {e.name: {"up": [], "down": []}
                                                  for e in engines}
    with tempfile.TemporaryDirectory(prefix="compose-bench-") as tmp:
        project = Path(tmp)
        for _round in range(args.rounds):
            for engine in engines:
                (project / "compose.yaml").write_text(project_yaml(_free_port()))
                try:
                    samples[engine.name]["up"].append(engine.up(project, env))
                finally:
                    samples[engine.name]["down"].append(engine.down(project, env))
    _table(samples, args.rounds)
    if args.json:
        args.json.write_text(json.dumps(samples, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
