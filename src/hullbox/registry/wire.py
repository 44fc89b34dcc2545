"""GET requests of the registry client over http.client.

httpx's own transport (httpcore over h11) copies every byte of a response
body three times under the GIL on its way out: a quarter of the CPU time of
pulling a big image, and with five layers in five threads the copies also
queue for the GIL. http.client reads a body straight from the socket into
the bytes object handed out. Everything else — authentication, redirects,
retries, other methods (HEAD, uploads) and any request through a proxy —
stays with httpx: this is only the wire under ``httpx.Client``.
"""

from __future__ import annotations

import http.client
import ssl
import threading
from collections.abc import Iterator

import httpx

_CHUNK = 1 << 20

_Key = tuple[str, str, int]


class GetTransport(httpx.BaseTransport):
    """GETs on keep-alive http.client connections (one per request at a
    time, pooled per host); other methods go to ``fallback``."""

    def __init__(self, context: ssl.SSLContext, fallback: httpx.BaseTransport) -> None:
        self._context = context
        self._fallback = fallback
        self._idle: dict[_Key, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if request.method != "GET" or url.scheme not in ("http", "https"):
            return self._fallback.handle_request(request)
        key = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        timeouts = request.extensions.get("timeout", {})
        conn = self._checkout(key)
        if conn is not None:
            try:
                return self._send(conn, key, request)
            except (OSError, http.client.HTTPException):
                # The registry closed the idle connection meanwhile (it may
                # at any time): the request never reached it; send it anew.
                conn.close()
        conn = self._connect(key, timeouts)
        try:
            return self._send(conn, key, request)
        except TimeoutError as exc:
            conn.close()
            raise httpx.ReadTimeout(_text(exc), request=request) from exc
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise httpx.ReadError(_text(exc), request=request) from exc

    def _checkout(self, key: _Key) -> http.client.HTTPConnection | None:
        with self._lock:
            idle = self._idle.get(key)
            return idle.pop() if idle else None

    def checkin(self, key: _Key, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(conn)

    def _connect(self, key: _Key, timeouts: dict[str, float | None]
                 ) -> http.client.HTTPConnection:
        scheme, host, port = key
        conn = (http.client.HTTPSConnection(host, port, timeout=timeouts.get("connect"),
                                            context=self._context)
                if scheme == "https" else
                http.client.HTTPConnection(host, port, timeout=timeouts.get("connect")))
        try:
            conn.connect()
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(_text(exc)) from exc
        except OSError as exc:  # refused, unknown host, TLS handshake
            raise httpx.ConnectError(_text(exc)) from exc
        assert conn.sock is not None
        conn.sock.settimeout(timeouts.get("read"))
        return conn

    def _send(self, conn: http.client.HTTPConnection, key: _Key,
              request: httpx.Request) -> httpx.Response:
        conn.putrequest("GET", request.url.raw_path.decode("ascii"),
                        skip_host=True, skip_accept_encoding=True)
        for name, value in request.headers.raw:  # Host and Accept-Encoding among them
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return httpx.Response(
            response.status, headers=response.getheaders(),
            stream=_Body(response, conn, key, self), request=request,
            extensions={"http_version": b"HTTP/1.1",
                        "reason_phrase": response.reason.encode("latin-1", "replace")},
        )

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()
        self._fallback.close()


class _Body(httpx.SyncByteStream):
    """A response body, a read at a time: each piece is what one read of
    the socket gave (up to 1 MiB), so bytes that arrived before a cut
    connection are all handed out (a resumed pull starts from them)."""

    def __init__(self, response: http.client.HTTPResponse, conn: http.client.HTTPConnection,
                 key: _Key, pool: GetTransport) -> None:
        self._response = response
        self._conn: http.client.HTTPConnection | None = conn
        self._key = key
        self._pool = pool

    def __iter__(self) -> Iterator[bytes]:
        try:
            while piece := self._response.read1(_CHUNK):
                yield piece
        except TimeoutError as exc:
            raise httpx.ReadTimeout(_text(exc)) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise httpx.ReadError(_text(exc)) from exc

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        response = self._response
        whole = response.length == 0 and not response.will_close
        response.close()
        if whole:
            self._pool.checkin(self._key, conn)  # read to its end: reusable
        else:
            conn.close()


def _text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
