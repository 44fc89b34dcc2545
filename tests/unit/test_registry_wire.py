"""The registry client's GETs over http.client (registry.wire): a blob GET
that a registry redirects to its storage host (as Docker Hub does to its
CDN) arrives whole, without the registry's token going to the other host,
and requests to one host reuse one connection."""

from __future__ import annotations

import contextlib
import http.server
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hullbox.registry.client import RegistryClient
from hullbox.registry.credentials import Credentials
from hullbox.registry.repository import Repository

BLOB = os.urandom(3 << 20)


@dataclass
class Seen:
    """What a server was asked: path, Authorization, client port."""

    requests: list[tuple[str, str, int]] = field(default_factory=list)


def _handler(seen: Seen, answer: dict[str, tuple[int, dict[str, str], bytes]]
             ) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen.requests.append((self.path, self.headers.get("Authorization", ""),
                                  self.client_address[1]))
            status, headers, body = answer.get(self.path, (404, {}, b""))
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextlib.contextmanager
def serving(seen: Seen, answer: dict[str, tuple[int, dict[str, str], bytes]]
            ) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(seen, answer))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def no_proxy_no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def test_redirected_blob_arrives_whole_and_connections_are_reused() -> None:
    registry, storage = Seen(), Seen()
    digest = "sha256:" + "ab" * 32
    storage_answer = {"/data/blob": (200, {}, BLOB)}
    with serving(storage, storage_answer) as storage_host:
        answer = {
            "/v2/": (200, {}, b"{}"),
            "/v2/app/manifests/1": (200, {"Content-Type": "application/json"}, b"{}"),
            f"/v2/app/blobs/{digest}": (
                307, {"Location": f"http://{storage_host}/data/blob"}, b""),
        }
        with serving(registry, answer) as host, RegistryClient(host) as client:
            repo = Repository(client, "app")
            response = repo.open_blob(digest)
            with contextlib.closing(response):
                body = b"".join(response.iter_raw())
            assert repo.get_manifest("1", what="app:1").data == b"{}"
    assert body == BLOB
    assert [path for path, _, _ in storage.requests] == ["/data/blob"]
    # ping, blob (redirected), manifest: all on one kept-alive connection
    assert [path for path, _, _ in registry.requests] == [
        "/v2/", f"/v2/app/blobs/{digest}", "/v2/app/manifests/1"]
    assert len({port for _, _, port in registry.requests}) == 1


def test_credentials_stay_with_the_registry() -> None:
    registry, storage = Seen(), Seen()
    digest = "sha256:" + "cd" * 32
    with serving(storage, {"/data/blob": (200, {}, BLOB)}) as storage_host:
        answer = {
            "/v2/": (401, {"WWW-Authenticate": 'Basic realm="r"'}, b""),
            f"/v2/app/blobs/{digest}": (
                307, {"Location": f"http://{storage_host}/data/blob"}, b""),
        }
        with serving(registry, answer) as host, \
                RegistryClient(host, credentials=Credentials("alice", "secret")) as client:
            response = Repository(client, "app").open_blob(digest)
            with contextlib.closing(response):
                assert b"".join(response.iter_raw()) == BLOB
    assert registry.requests[-1][1].startswith("Basic ")
    assert storage.requests == [("/data/blob", "", storage.requests[0][2])]
