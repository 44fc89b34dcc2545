"""A small misbehaving registry for tests: it forwards GET and HEAD to a real
docker-registry and, as asked, cuts or truncates blobs, flips their bytes,
answers 503/429 with Retry-After first, slows blobs down, ignores Range, or
alters or replaces manifests. It records every request it was asked."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import http.server
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

_PIECE = 64 * 1024


@dataclass
class Proxy:
    """What to do to the traffic; all off by default (a plain forwarder)."""

    upstream: str
    cut_at: int = 0  # the first GET of each blob stops after this many bytes
    truncate_at: int = 0  # every GET of a blob ends at this byte of the blob
    tamper_manifests: bool = False  # one byte of every manifest changes
    corrupt_blobs_over: int = -1  # one byte of every blob longer than this changes
    busy: list[int] = field(default_factory=list)  # statuses for the first blob GETs
    retry_after: str = "1"
    seconds_per_piece: float = 0.0  # delay per 64 KiB of a blob
    ignore_range: bool = False  # answer a ranged blob GET with the whole blob (200)
    # Replaces a manifest (Content-Type and Docker-Content-Digest follow it).
    rewrite_manifest: Callable[[bytes], bytes] | None = None
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    stamps: list[tuple[str, int, float]] = field(default_factory=list)  # path, status, time
    cut_done: set[str] = field(default_factory=set)


def _range_start(value: str) -> int:
    if value.startswith("bytes=") and value[6:].split("-")[0].isdigit():
        return int(value[6:].split("-")[0])
    return 0


def _handler(proxy: Proxy) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            rng = self.headers.get("Range", "")
            proxy.requests.append((self.command, self.path, rng))
            is_blob = "/blobs/sha256:" in self.path and self.command == "GET"
            if is_blob and proxy.busy:
                status = proxy.busy.pop(0)
                proxy.stamps.append((self.path, status, time.monotonic()))
                self._answer(status, [("Retry-After", proxy.retry_after)], b"")
                return
            host, port = proxy.upstream.split(":")
            conn = http.client.HTTPConnection(host, int(port), timeout=10)
            dropped = {"host", "range"} if proxy.ignore_range else {"host"}
            headers = {k: v for k, v in self.headers.items() if k.lower() not in dropped}
            conn.request(self.command, self.path, headers=headers)
            upstream = conn.getresponse()
            body = upstream.read()
            proxy.stamps.append((self.path, upstream.status, time.monotonic()))
            upstream_headers = upstream.getheaders()
            if "/manifests/" in self.path and body and upstream.status == 200:
                body, upstream_headers = self._manifest(body, upstream_headers)
            if is_blob and 0 <= proxy.corrupt_blobs_over < len(body):
                middle = len(body) // 2
                body = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1:]
            length = len(body)
            end = length
            if is_blob and proxy.truncate_at:
                end = max(0, min(length, proxy.truncate_at - _range_start(rng)))
            elif is_blob and proxy.cut_at and length > proxy.cut_at \
                    and self.path not in proxy.cut_done:
                proxy.cut_done.add(self.path)
                end = proxy.cut_at
            self._answer(upstream.status, upstream_headers, body[:end], length)

        def _manifest(self, body: bytes, headers: list[tuple[str, str]]
                      ) -> tuple[bytes, list[tuple[str, str]]]:
            if proxy.tamper_manifests:
                body = body.replace(b'"schemaVersion":2', b'"schemaVersion": 2', 1) \
                    if b'"schemaVersion":2' in body else body + b" "
            if proxy.rewrite_manifest is not None:
                body = proxy.rewrite_manifest(body)
                media_type = str(json.loads(body).get("mediaType", "application/json"))
                digest = "sha256:" + hashlib.sha256(body).hexdigest()
                headers = [(k, v) for k, v in headers
                           if k.lower() not in ("content-type", "docker-content-digest")]
                headers += [("Content-Type", media_type), ("Docker-Content-Digest", digest)]
            return body, headers

        def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes,
                    length: int | None = None) -> None:
            self.send_response(status)
            for key, value in headers:
                if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.end_headers()
            if self.command == "HEAD":
                return
            for start in range(0, len(body), _PIECE):
                if proxy.seconds_per_piece:
                    time.sleep(proxy.seconds_per_piece)
                self.wfile.write(body[start:start + _PIECE])
            if length is not None and len(body) < length:
                # Fewer bytes than announced: end the connection, as a cut one.
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

    return Handler


@contextlib.contextmanager
def proxied(proxy: Proxy) -> Iterator[str]:
    """Serve ``proxy`` on a free 127.0.0.1 port; yields ``host:port``."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
