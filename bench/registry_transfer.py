"""Push and pull of a ~200 MB, 5-layer image through a local docker-registry:
hullbox against `skopeo copy` (and `podman pull` when it runs).

    .venv/bin/python bench/registry_transfer.py [--rounds 5] [--layer-mb 40] [--json FILE]

The image is an OCI layout of 5 gzip layers, each one file of random bytes
(incompressible: the transfer, not the compressor, is measured), made once
under /tmp/hullbox-bench/registry-transfer and loaded into a private hullbox
store. Rounds alternate the contenders (A B C, A B C, ...) so the host's CPU
steal hits them alike; only ratios from one run mean anything (PEERS.md).

What each pull does differs, and the table says so: hullbox and podman
verify and unpack every layer into their stores; `skopeo copy` to an OCI
layout writes the blobs and unpacks nothing, while `skopeo copy` to
containers-storage (podman's store, overlay driver) unpacks like podman.
Each push goes to a fresh, empty registry so no blob is skipped or mounted.
This is a benchmark: it asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import io
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORK = Path("/tmp/hullbox-bench/registry-transfer")
TAG = "bench/transfer:200m"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def hullbox_argv() -> list[str]:
    script = Path(sys.executable).parent / "hullbox"
    return [str(script)] if script.exists() else [sys.executable, "-m", "hullbox.cli.main"]


def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(argv, check=True, stdin=subprocess.DEVNULL,
                          capture_output=True, **kwargs)  # type: ignore[call-overload,no-any-return]


# ---------------------------------------------------------------- the image

def _blob(layout: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def make_layout(layout: Path, layers: int, layer_mb: int) -> None:
    """An OCI layout of ``layers`` gzip layers of ``layer_mb`` random MiB."""
    if (layout / "index.json").exists():
        return
    shutil.rmtree(layout, ignore_errors=True)
    (layout / "blobs" / "sha256").mkdir(parents=True)
    descriptors, diff_ids = [], []
    for n in range(layers):
        payload = io.BytesIO()
        with tarfile.open(fileobj=payload, mode="w", format=tarfile.PAX_FORMAT) as tar:
            data = os.urandom(layer_mb << 20)
            info = tarfile.TarInfo(f"data/layer-{n}.bin")
            info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
        raw = payload.getvalue()
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        descriptor = _blob(layout, gzip.compress(raw, compresslevel=1, mtime=0))
        descriptors.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            **descriptor})
    config = {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
              "config": {"Cmd": ["/bin/sh"]},
              "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    config_desc = {"mediaType": "application/vnd.oci.image.config.v1+json",
                   **_blob(layout, json.dumps(config).encode())}
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config_desc,
                "layers": descriptors}
    manifest_desc = {"mediaType": OCI_MANIFEST, **_blob(layout, json.dumps(manifest).encode()),
                     "annotations": {"org.opencontainers.image.ref.name": TAG}}
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2,
                                                   "manifests": [manifest_desc]}))


# ---------------------------------------------------------------- the registry

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def registry(root: Path) -> Iterator[str]:
    """A docker-registry with an empty filesystem root; yields host:port."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    port = _free_port()
    config = root / "config.yml"
    config.write_text(f"version: 0.1\nlog: {{level: error}}\n"
                      f"storage: {{filesystem: {{rootdirectory: {root / 'data'}}}}}\n"
                      f"http: {{addr: 127.0.0.1:{port}}}\n")
    process = subprocess.Popen(["docker-registry", "serve", str(config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.05)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------- contenders

@dataclass
class Contender:
    """A command measured over rounds; ``prepare`` runs untimed before each."""

    name: str
    timed: Callable[[str], list[str]]  # registry host -> argv
    prepare: Callable[[str], None] = lambda host: None
    samples: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # user + system of the command
    failure: str = ""


def measure(contender: Contender, host: str) -> None:
    try:
        contender.prepare(host)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        run(contender.timed(host), timeout=600)
        contender.samples.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        contender.cpu.append(after.ru_utime - before.ru_utime
                             + after.ru_stime - before.ru_stime)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        contender.failure = (detail.decode(errors="replace").strip().splitlines() or
                             [str(exc)])[-1]


def podman_works(root: Path) -> bool:
    if shutil.which("podman") is None:
        return False
    try:
        run(["podman", "--root", str(root / "storage"), "--runroot", str(root / "run"),
             "images"], timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return False
    return True


def contenders(layout: Path, store: Path, pull_store: Path, podman_root: Path
               ) -> tuple[list[Contender], list[Contender]]:
    hullbox = hullbox_argv()

    def hb(root: Path, *args: str) -> list[str]:
        return ["env", f"HULLBOX_ROOT={root}", *hullbox, *args]

    def hb_push_prepare(host: str) -> None:
        run(hb(store, "tag", TAG, f"{host}/bench/img:1"))

    def hb_pull_prepare(host: str) -> None:
        # An empty store (the registry's port, so the image's name, changes
        # every round: an rmi by name would leave the last round's layers).
        shutil.rmtree(pull_store, ignore_errors=True)
        run(hb(pull_store, "images", "-q"))

    oci_dest = WORK / "skopeo-pull"
    podman = ["podman", "--root", str(podman_root / "storage"),
              "--runroot", str(podman_root / "run")]
    pushes = [
        Contender("hullbox push", lambda h: hb(store, "push", f"{h}/bench/img:1"),
                  hb_push_prepare),
        Contender("skopeo copy oci: -> docker://", lambda h: [
            "skopeo", "copy", "--quiet", "--dest-tls-verify=false",
            f"oci:{layout}:{TAG}", f"docker://{h}/bench/img:1"]),
    ]
    pulls = [
        Contender("hullbox pull (verify + unpack)", lambda h: hb(
            pull_store, "pull", f"{h}/bench/img:1"), hb_pull_prepare),
        Contender("skopeo copy docker:// -> oci: (no unpack)", lambda h: [
            "skopeo", "copy", "--quiet", "--src-tls-verify=false",
            f"docker://{h}/bench/img:1", f"oci:{oci_dest}:img"],
            lambda h: shutil.rmtree(oci_dest, ignore_errors=True)),
    ]
    def podman_prepare(host: str) -> None:
        subprocess.run([*podman, "rmi", "-af"], capture_output=True, check=False)

    if podman_works(podman_root):
        storage = f"overlay@{podman_root / 'storage'}+{podman_root / 'run'}"
        pulls.append(Contender("skopeo copy docker:// -> containers-storage: (unpack)",
                               lambda h: [
            "skopeo", "copy", "--quiet", "--src-tls-verify=false",
            f"docker://{h}/bench/img:1", f"containers-storage:[{storage}]{h}/bench/img:1"],
            podman_prepare))
        pulls.append(Contender("podman pull (verify + unpack)", lambda h: [
            *podman, "pull", "--quiet", "--tls-verify=false", f"{h}/bench/img:1"],
            podman_prepare))
    return pushes, pulls


def remove_podman_root(root: Path) -> None:
    """containers/storage bind-mounts its overlay directory onto itself."""
    mount = root / "storage" / "overlay"
    if os.path.ismount(mount):
        subprocess.run(["umount", str(mount)], check=False, capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


# ---------------------------------------------------------------- report

def table(title: str, rows: list[Contender]) -> list[str]:
    """Medians, and hullbox's over each peer's (below 1: hullbox is faster or
    spends less CPU). CPU seconds are the command's own (the registry's are
    in nobody's) and move less than wall time on a loaded machine."""
    ours = rows[0]
    lines = [f"| {title} | median s | hullbox / this | CPU s | hullbox CPU / this | runs |",
             "|---|---|---|---|---|---|"]

    def ratio(mine: list[float], theirs: list[float], row: Contender) -> str:
        if not mine or row is ours:
            return ""
        return f"{statistics.median(mine) / statistics.median(theirs):.2f}"

    for row in rows:
        if not row.samples:
            lines.append(f"| {row.name} | failed: {row.failure} | | | | 0 |")
            continue
        lines.append(
            f"| {row.name} | {statistics.median(row.samples):.2f} | "
            f"{ratio(ours.samples, row.samples, row)} | {statistics.median(row.cpu):.2f} | "
            f"{ratio(ours.cpu, row.cpu, row)} | {len(row.samples)} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--layers", type=int, default=5)
    parser.add_argument("--layer-mb", type=int, default=40)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    for tool in ("docker-registry", "skopeo"):
        if shutil.which(tool) is None:
            print(f"registry_transfer: {tool} is not installed", file=sys.stderr)
            return 1
    layout = WORK / f"layout-{args.layers}x{args.layer_mb}"
    make_layout(layout, args.layers, args.layer_mb)
    store, pull_store = WORK / "hullbox-store", WORK / "hullbox-pull-store"
    shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(pull_store, ignore_errors=True)
    run(["env", f"HULLBOX_ROOT={store}", *hullbox_argv(), "load", "-q", "-i", str(layout)])
    podman_root = WORK / "podman"
    pushes, pulls = contenders(layout, store, pull_store, podman_root)
    for n in range(args.rounds):
        order = pushes if n % 2 == 0 else pushes[::-1]
        for contender in order:
            with registry(WORK / "registry") as host:
                measure(contender, host)
        with registry(WORK / "registry") as host:
            run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                 f"oci:{layout}:{TAG}", f"docker://{host}/bench/img:1"])
            for contender in (pulls if n % 2 == 0 else pulls[::-1]):
                measure(contender, host)
        print(f"round {n + 1}/{args.rounds} done", file=sys.stderr)
    mb = sum(p.stat().st_size for p in (layout / "blobs" / "sha256").iterdir()) / 1e6
    print(f"image: {args.layers} layers, {mb:.0f} MB compressed; {args.rounds} rounds\n")
    print("\n".join(table("push", pushes)))
    print()
    print("\n".join(table("pull", pulls)))
    if args.json:
        args.json.write_text(json.dumps({c.name: c.samples for c in pushes + pulls}, indent=1))
    for path in (store, pull_store, WORK / "skopeo-pull"):
        shutil.rmtree(path, ignore_errors=True)
    remove_podman_root(podman_root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
