"""A registry that speaks only HTTPS, with a certificate of a test CA: its
certificate is checked against the system CA store (SSL_CERT_FILE names the
CA here), an unknown one is refused in one line, and `--insecure` or a
configured insecure registry skips the check. A loopback registry gets
HTTPS without the check, then HTTP, as Docker does.

A name that is not loopback is needed for the checked cases, and traffic
may only go to 127.0.0.0/8: ``[::ffff:7f00:1]`` is 127.0.0.1 written as an
IPv4-mapped IPv6 address, which hullbox does not count as loopback.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox
from .registry_helpers import Registry, fails, running_registry, unique_image

pytestmark = pytest.mark.root

MAPPED = "[::ffff:7f00:1]"


def _certificates(tmp: Path) -> tuple[Path, Path, Path]:
    """A CA, and a server certificate it signed for 127.0.0.1 both ways."""
    ca_key, ca, key, csr, cert = (tmp / n for n in ("ca.key", "ca.pem", "srv.key",
                                                    "srv.csr", "srv.pem"))
    ext = tmp / "san.ext"
    ext.write_text("subjectAltName = IP:127.0.0.1, IP:::ffff:127.0.0.1\n")
    for argv in (
        ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca,
         "-days", "2", "-subj", "/CN=hullbox test CA"],
        ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
         "-subj", "/CN=127.0.0.1"],
        ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-out", cert, "-days", "2", "-extfile", ext],
    ):
        subprocess.run(["openssl", *map(str, argv)], check=True, capture_output=True)
    return ca, cert, key


@pytest.fixture(scope="module")
def tls_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Registry, Path]]:
    tmp = tmp_path_factory.mktemp("tls-registry")
    ca, cert, key = _certificates(tmp)
    tls = f"  tls: {{certificate: {cert}, key: {key}}}\n"
    with running_registry(tmp, auth="", http_extra=tls) as running:
        yield running, ca


def test_tls_registry_checked_insecure_and_loopback(
    hullbox: Hullbox, tls_registry: tuple[Registry, Path], busybox_tar: Path,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry, ca = tls_registry
    port = registry.host.rsplit(":", 1)[1]
    ref = f"{MAPPED}:{port}/hb/tls:1"
    unique_image(hullbox, busybox_tar, tmp_path, ref)
    line = fails(hullbox, "push", ref)
    assert "certificate verify failed" in line, line
    hullbox.ok("push", "--insecure", ref)
    hullbox.ok("rmi", ref)
    with monkeypatch.context() as env:
        env.setenv("HULLBOX_INSECURE_REGISTRIES", f"{MAPPED}:{port}")
        hullbox.ok("pull", ref)
    hullbox.ok("rmi", ref)
    with monkeypatch.context() as env:
        env.setenv("SSL_CERT_FILE", str(ca))  # the system store, as OpenSSL reads it
        hullbox.ok("pull", ref)
    assert hullbox.ok("run", "--rm", ref, "cat", "/etc/hullbox-test-image") == ref
    hullbox.ok("rmi", ref)
    loopback = f"127.0.0.1:{port}/hb/tls:1"
    hullbox.ok("pull", loopback)
    assert hullbox.ok("run", "--rm", loopback, "cat", "/etc/hullbox-test-image") == ref
    hullbox.ok("rmi", loopback)
