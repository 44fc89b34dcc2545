"""pull, push, login and logout against a real registry (Debian's
docker-registry, distribution v2) on 127.0.0.1, with skopeo as the peer.

Each registry is started by a fixture with a filesystem root in tmp and a free
port, and stopped after the module. A small proxy in front of it cuts a layer
mid-stream or alters a manifest, for the resume and bad-content cases.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox
from .registry_helpers import (
    Registry,
    fails,
    free_port,
    pushed,
    running_registry,
    skopeo_binary,
    unique_image,
    untag_registry_images,
)
from .registry_proxy import Proxy, proxied

pytestmark = pytest.mark.root

BUSYBOX_OCI = "images/busybox-1.38.0-musl-amd64-oci-layout"
ZERO_DIGEST = "sha256:" + "0" * 64


@pytest.fixture(scope="module", autouse=True)
def _clean_tags(hullbox: Hullbox) -> Iterator[None]:
    yield
    untag_registry_images(hullbox)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


@pytest.fixture(scope="module")
def auth_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A registry that wants alice/wonderland (htpasswd, bcrypt)."""
    if shutil.which("htpasswd") is None:
        pytest.skip("htpasswd is not installed (apt-get install apache2-utils)")
    tmp = tmp_path_factory.mktemp("auth-registry")
    users = tmp / "htpasswd"
    users.write_bytes(subprocess.run(["htpasswd", "-Bbn", "alice", "wonderland"],
                                     check=True, capture_output=True).stdout)
    auth = f"auth: {{htpasswd: {{realm: hullbox-test, path: {users}}}}}\n"
    with running_registry(tmp, auth) as running:
        yield running


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private ~/.docker for the test (hullbox and skopeo both read
    $DOCKER_CONFIG), so root's own credentials are never touched."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    return tmp_path / "docker" / "config.json"


# -- round trips ---------------------------------------------------------------

def test_push_rmi_pull_run(hullbox: Hullbox, registry: Registry) -> None:
    ref = f"{registry.host}/hb/busybox:1"
    digest = pushed(hullbox, ref)
    hullbox.ok("rmi", ref)
    assert ref not in hullbox.ok("images")
    out = hullbox.ok("pull", ref)
    assert f"Digest: {digest}" in out
    assert out.strip().splitlines()[-1] == ref
    assert hullbox.ok("run", "--rm", ref, "echo", "pulled") == "pulled\n"
    repo = ref.rsplit(":", 1)[0]
    # other tests of the session may have pushed the same image elsewhere
    repo_digests = json.loads(hullbox.ok("image", "inspect", "-f", "{{json .RepoDigests}}",
                                         ref))
    assert f"{repo}@{digest}" in repo_digests
    assert [d for d in repo_digests if d.startswith(f"{repo}@")] == [f"{repo}@{digest}"]
    listing = hullbox.ok("images", "--digests", repo).splitlines()
    assert listing[0].split()[:3] == ["REPOSITORY", "TAG", "DIGEST"]
    assert listing[1].split()[:3] == [repo, "1", digest]
    # Pulled again: every layer is already there, nothing is downloaded.
    again = hullbox.ok("pull", ref)
    assert "Already exists" in again and "Image is up to date" in again
    assert hullbox.ok("pull", "-q", ref) == ref + "\n"


def test_push_again_skips_blobs_and_mounts_across_repositories(
    hullbox: Hullbox, registry: Registry
) -> None:
    first = f"{registry.host}/hb/mount-src:1"
    pushed(hullbox, first)
    assert "Layer already exists" in hullbox.ok("push", first)
    second = f"{registry.host}/hb/mount-dst:1"
    hullbox.ok("tag", first, second)
    out = hullbox.ok("push", second)
    # Every other name of the image on this registry may serve as the source.
    assert out.count("Mounted from hb/") == 2, out


def test_pull_by_digest(hullbox: Hullbox, registry: Registry) -> None:
    ref = f"{registry.host}/hb/bydigest:1"
    digest = pushed(hullbox, ref)
    hullbox.ok("rmi", ref)
    pinned = f"{registry.host}/hb/bydigest@{digest}"
    assert hullbox.ok("pull", "-q", pinned) == pinned + "\n"
    assert hullbox.ok("run", "--rm", pinned, "echo", "pinned") == "pinned\n"
    hullbox.ok("rmi", pinned)


def test_chunked_push_is_readable(
    hullbox: Hullbox, registry: Registry, busybox_tar: Path, tmp_path: Path
) -> None:
    from hullbox.engine.engine import Engine

    # An image of its own, so no other name of it on the registry can lend
    # its blobs by a mount.
    ref = f"{registry.host}/hb/chunked:1"
    unique_image(hullbox, busybox_tar, tmp_path, ref)
    with Engine(hullbox.root) as engine:
        result = engine.distribution.push(ref, chunk_size=256 * 1024)
    assert [e.status for e in result.events] == ["Pushed", "Pushed"]
    hullbox.ok("rmi", ref)
    hullbox.ok("pull", ref)
    assert hullbox.ok("run", "--rm", ref, "echo", "chunks") == "chunks\n"


# -- skopeo interop --------------------------------------------------------------

def test_skopeo_reads_what_hullbox_pushed(
    hullbox: Hullbox, registry: Registry, tmp_path: Path
) -> None:
    skopeo = skopeo_binary()
    ref = f"{registry.host}/hb/toskopeo:1"
    digest = pushed(hullbox, ref)
    inspected = subprocess.run(
        [skopeo, "inspect", "--tls-verify=false", f"docker://{ref}"],
        check=True, capture_output=True, text=True).stdout
    info = json.loads(inspected)
    assert info["Digest"] == digest and info["Os"] == "linux"
    subprocess.run([skopeo, "copy", "--quiet", "--src-tls-verify=false",
                    f"docker://{ref}", f"oci:{tmp_path / 'layout'}:copy"], check=True)
    assert json.loads((tmp_path / "layout" / "index.json").read_text())["manifests"]


def test_hullbox_pulls_what_skopeo_pushed(
    hullbox: Hullbox, registry: Registry, corpora: Path
) -> None:
    skopeo = skopeo_binary()
    layout = corpora / BUSYBOX_OCI
    if not layout.is_dir():
        pytest.skip(f"{layout} is missing from the corpora")
    ref = f"{registry.host}/skopeo/busybox:1.38.0-musl"
    subprocess.run([skopeo, "copy", "--quiet", "--dest-tls-verify=false",
                    f"oci:{layout}", f"docker://{ref}"], check=True)
    out = hullbox.ok("pull", ref)
    # Its layer may be in the shared store already (other tests load this
    # busybox), so "Already exists" is as right as "Pull complete".
    assert f"Downloaded newer image for {ref}" in out
    assert hullbox.ok("run", "--rm", ref, "busybox", "echo", "from skopeo") == "from skopeo\n"
    hullbox.ok("rmi", ref)


def test_pull_zstd_gzip_and_plain_layers(
    hullbox: Hullbox, registry: Registry, busybox_tar: Path, tmp_path: Path
) -> None:
    """Busybox and three layers of a file each, one of each compression,
    pushed by skopeo: each is recognised by its bytes, inflated, unpacked and
    checked against its DiffID."""
    import gzip
    import hashlib
    import io
    import tarfile

    import zstandard

    skopeo = skopeo_binary()
    ref = f"{registry.host}/hb/compressions:1"
    files = []
    for name in ("zstd", "gzip", "plain"):
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as tar:
            info = tarfile.TarInfo(f"etc/{name}-layer")
            info.size = len(name)
            tar.addfile(info, io.BytesIO(name.encode()))
        files.append(raw.getvalue())
    rootfs = busybox_tar.read_bytes()
    layers = [(rootfs, rootfs, "tar"),
              (zstandard.ZstdCompressor().compress(files[0]), files[0], "tar+zstd"),
              (gzip.compress(files[1]), files[1], "tar+gzip"), (files[2], files[2], "tar")]
    layout = tmp_path / "layout"
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def blob(data: bytes, media_type: str) -> dict[str, object]:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}

    config = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
              "rootfs": {"type": "layers", "diff_ids": [
                  "sha256:" + hashlib.sha256(tar).hexdigest() for _, tar, _ in layers]}}
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": blob(json.dumps(config).encode(),
                               "application/vnd.oci.image.config.v1+json"),
                "layers": [blob(data, f"application/vnd.oci.image.layer.v1.{kind}")
                           for data, _, kind in layers]}
    index = {"schemaVersion": 2, "manifests": [
        {**blob(json.dumps(manifest).encode(), manifest["mediaType"]),
         "annotations": {"org.opencontainers.image.ref.name": "1"}}]}
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (layout / "index.json").write_text(json.dumps(index))
    # else skopeo rewrites the layers on their way to docker:// (new digests)
    subprocess.run([skopeo, "copy", "--quiet", "--dest-tls-verify=false",
                    "--preserve-digests", f"oci:{layout}:1", f"docker://{ref}"], check=True)
    out = hullbox.ok("pull", ref)
    # (busybox's layer may be in the store already, blob and all)
    for data, _, _ in layers[1:]:
        assert f"{hashlib.sha256(data).hexdigest()[:12]}: Pull complete" in out, out
    assert hullbox.ok("run", "--rm", ref, "cat", "/etc/zstd-layer", "/etc/gzip-layer",
                      "/etc/plain-layer") == "zstdgzipplain"
    hullbox.ok("rmi", ref)


# -- bad input -----------------------------------------------------------------------

def test_bad_reference(hullbox: Hullbox) -> None:
    line = fails(hullbox, "pull", "Bad:Ref")
    assert "invalid reference format" in line


def test_wrong_digest_is_refused(hullbox: Hullbox, registry: Registry) -> None:
    line = fails(hullbox, "pull", f"{registry.host}/hb/busybox@{ZERO_DIGEST}")
    assert "not found" in line and "hb/busybox" in line


def test_unknown_tag(hullbox: Hullbox, registry: Registry) -> None:
    line = fails(hullbox, "pull", f"{registry.host}/hb/busybox:no-such-tag")
    assert "manifest for" in line and "not found" in line


def test_unreachable_registry(hullbox: Hullbox) -> None:
    line = fails(hullbox, "pull", f"127.0.0.1:{free_port()}/nothing:1")
    assert "cannot reach registry" in line and "running" in line


def test_unknown_platform(hullbox: Hullbox, registry: Registry) -> None:
    line = fails(hullbox, "pull", "--platform", "linux", f"{registry.host}/hb/busybox:1")
    assert "invalid platform" in line


# -- login / auth ----------------------------------------------------------------

def test_login_then_push_and_pull(
    hullbox: Hullbox, auth_registry: Registry, docker_config: Path
) -> None:
    host = auth_registry.host
    ref = f"{host}/private/busybox:1"
    hullbox.ok("tag", "busybox:latest", ref)
    refused = fails(hullbox, "push", ref)
    assert "requires authentication" in refused and f"hullbox login {host}" in refused
    wrong = hullbox("login", host, "-u", "alice", "--password-stdin", input=b"nope\n")
    assert wrong.returncode == 125 and "wrong username or password" in wrong.stderr
    assert not docker_config.exists()
    assert hullbox.ok("login", host, "-u", "alice", "--password-stdin",
                      input=b"wonderland\n") == "Login Succeeded\n"
    saved = json.loads(docker_config.read_text())
    assert host in saved["auths"] and saved["auths"][host]["auth"]
    assert oct(docker_config.stat().st_mode & 0o777) == "0o600"
    hullbox.ok("push", ref)
    hullbox.ok("rmi", ref)
    hullbox.ok("pull", ref)
    assert hullbox.ok("logout", host) == f"Removing login credentials for {host}\n"
    assert host not in json.loads(docker_config.read_text())["auths"]
    assert "requires authentication" in fails(hullbox, "pull", f"{host}/private/other:1")
    hullbox.ok("rmi", ref)


def test_skopeo_uses_hullbox_login(
    hullbox: Hullbox, auth_registry: Registry, docker_config: Path
) -> None:
    """The credentials hullbox saves are the ones skopeo (and docker) read."""
    skopeo = skopeo_binary()
    host = auth_registry.host
    ref = f"{host}/private/shared:1"
    hullbox.ok("login", host, "-u", "alice", "-p", "wonderland")
    pushed(hullbox, ref)
    env = dict(os.environ, REGISTRY_AUTH_FILE=str(docker_config))
    subprocess.run([skopeo, "inspect", "--tls-verify=false", f"docker://{ref}"],
                   check=True, capture_output=True, env=env)
    hullbox.ok("logout", host)


# -- resume, and content that does not match its digest --------------------------

def test_cut_download_resumes_with_range(
    hullbox: Hullbox, registry: Registry, busybox_tar: Path, tmp_path: Path
) -> None:
    ref_path = "hb/resume:1"
    unique_image(hullbox, busybox_tar, tmp_path, f"{registry.host}/{ref_path}")
    hullbox.ok("push", f"{registry.host}/{ref_path}")
    hullbox.ok("rmi", f"{registry.host}/{ref_path}")  # its layer leaves the store
    proxy = Proxy(registry.host, cut_at=300_000)
    with proxied(proxy) as host:
        out = hullbox.ok("pull", f"{host}/{ref_path}")
    blob_gets = [(path, rng) for method, path, rng in proxy.requests
                 if method == "GET" and "/blobs/" in path]
    assert proxy.cut_done, proxy.requests
    layer = next(path for path, _ in blob_gets if path in proxy.cut_done)
    ranges = [rng for path, rng in blob_gets if path == layer]
    assert ranges == ["", "bytes=300000-"], blob_gets
    assert "Pull complete (resumed at 300000 bytes)" in out
    assert hullbox.ok("run", "--rm", f"{host}/{ref_path}", "echo", "whole") == "whole\n"
    assert not list((hullbox.root / "tmp").glob("pull-*.partial"))
    hullbox.ok("rmi", f"{host}/{ref_path}")


def test_resume_from_a_registry_that_ignores_range(
    hullbox: Hullbox, registry: Registry, busybox_tar: Path, tmp_path: Path
) -> None:
    """The bytes already unpacked are not asked for twice: when the registry
    answers a ranged GET with the whole blob, its first bytes are skipped."""
    ref_path = "hb/norange:1"
    unique_image(hullbox, busybox_tar, tmp_path, f"{registry.host}/{ref_path}")
    hullbox.ok("push", f"{registry.host}/{ref_path}")
    hullbox.ok("rmi", f"{registry.host}/{ref_path}")
    proxy = Proxy(registry.host, cut_at=300_000, ignore_range=True)
    with proxied(proxy) as host:
        out = hullbox.ok("pull", f"{host}/{ref_path}")
    layer = next(iter(proxy.cut_done))
    assert [rng for method, path, rng in proxy.requests
            if method == "GET" and path == layer] == ["", "bytes=300000-"]
    assert "Pull complete (resumed at 300000 bytes)" in out
    assert hullbox.ok("run", "--rm", f"{host}/{ref_path}", "cat",
                      "/etc/hullbox-test-image") == f"{registry.host}/{ref_path}"
    assert not list((hullbox.root / "tmp").glob("pull-*"))
    hullbox.ok("rmi", f"{host}/{ref_path}")


def test_killed_pull_resumes_from_its_partial_file(
    hullbox: Hullbox, registry: Registry, busybox_tar: Path, tmp_path: Path
) -> None:
    """What a pull killed mid-layer leaves (the first bytes in the store's
    tmp, keyed by digest) is where the next pull starts."""
    ref_path = "hb/killed:1"
    unique_image(hullbox, busybox_tar, tmp_path, f"{registry.host}/{ref_path}")
    hullbox.ok("push", f"{registry.host}/{ref_path}")
    manifest = json.loads(hullbox.root.joinpath(
        "blobs/sha256", _manifest_digest(hullbox, f"{registry.host}/{ref_path}")).read_bytes())
    layer = manifest["layers"][0]["digest"]
    head = hullbox.root.joinpath("blobs/sha256", layer.split(":")[1]).read_bytes()[:123_456]
    hullbox.ok("rmi", f"{registry.host}/{ref_path}")
    (hullbox.root / "tmp" / f"pull-{layer.split(':')[1]}.partial").write_bytes(head)
    proxy = Proxy(registry.host)
    with proxied(proxy) as host:
        out = hullbox.ok("pull", f"{host}/{ref_path}")
    ranges = [rng for method, path, rng in proxy.requests if path.endswith(layer)]
    assert ranges == ["bytes=123456-"]
    assert "(resumed at 123456 bytes)" in out
    assert hullbox.ok("run", "--rm", f"{host}/{ref_path}", "cat",
                      "/etc/hullbox-test-image") == f"{registry.host}/{ref_path}"
    hullbox.ok("rmi", f"{host}/{ref_path}")


def _manifest_digest(hullbox: Hullbox, ref: str) -> str:
    info = json.loads(hullbox.ok("image", "inspect", ref))[0]
    return str(info["Descriptor"]["digest"]).split(":")[1]


def test_altered_manifest_is_refused(hullbox: Hullbox, registry: Registry) -> None:
    ref_path = "hb/tampered:1"
    digest = pushed(hullbox, f"{registry.host}/{ref_path}")
    with proxied(Proxy(registry.host, tamper_manifests=True)) as host:
        by_tag = fails(hullbox, "pull", f"{host}/{ref_path}")
        by_digest = fails(hullbox, "pull", f"{host}/hb/tampered@{digest}")
    assert "refusing it" in by_tag and "refusing it" in by_digest
