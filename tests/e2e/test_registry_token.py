"""Bearer token auth for real: Debian's docker-registry with ``auth: token``
trusting a certificate made here by openssl, and a small token server that
signs RS256 JWTs with its key (the x5c header carries the certificate, which
the registry checks against its rootcertbundle).

The token server gives anyone pull access, and alice (password wonderland)
what she asks for; wrong credentials get 401, as Docker Hub's auth does.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from .conftest import Hullbox
from .registry_helpers import Registry, fails, pushed, running_registry

pytestmark = pytest.mark.root

ISSUER = "hullbox-test-issuer"
SERVICE = "hullbox-test-registry"
USERS = {"alice": "wonderland"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenServer:
    """Issues JWTs signed with ``key``; records (user, scopes, granted)."""

    key: Path
    cert_der: bytes
    realm: str = ""
    issued: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def sign(self, user: str, access: list[dict[str, object]]) -> str:
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(self.cert_der).decode()]}
        claims = {"iss": ISSUER, "sub": user, "aud": SERVICE, "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": secrets.token_hex(8), "access": access}
        signing_input = ".".join(_b64url(json.dumps(part).encode()) for part in (header, claims))
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(self.key)],
            input=signing_input.encode(), capture_output=True, check=True).stdout
        return f"{signing_input}.{_b64url(signature)}"

    def grant(self, user: str, scopes: list[str]) -> tuple[list[dict[str, object]], list[str]]:
        """Anyone may pull; alice may do what she asks."""
        access: list[dict[str, object]] = []
        granted: list[str] = []
        for scope in scopes:
            kind, name, actions = scope.split(":", 2) if scope.count(":") >= 2 else ("", "", "")
            allowed = [a for a in actions.split(",") if a and (user == "alice" or a == "pull")]
            if kind == "repository" and allowed:
                access.append({"type": kind, "name": name, "actions": allowed})
                granted.append(f"{kind}:{name}:{','.join(allowed)}")
        return access, granted


def _handler(server: TokenServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            user = ""
            given = self.headers.get("Authorization", "")
            if given:
                name, _, password = base64.b64decode(
                    given.removeprefix("Basic ")).decode().partition(":")
                if USERS.get(name) != password:
                    server.refused.append(name)
                    self._send(401, {"details": "incorrect username or password"})
                    return
                user = name
            if query.get("service") != [SERVICE]:
                self._send(400, {"details": "unknown service"})
                return
            scopes = query.get("scope", [])
            access, granted = server.grant(user, scopes)
            server.issued.append((user, scopes, granted))
            token = server.sign(user, access)
            self._send(200, {"token": token, "access_token": token, "expires_in": 300})

    return Handler


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory: pytest.TempPathFactory
                   ) -> Iterator[tuple[Registry, TokenServer]]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (apt-get install openssl)")
    tmp = tmp_path_factory.mktemp("token-registry")
    key, cert = tmp / "token.key", tmp / "token.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=hullbox-test-token-issuer", "-keyout", str(key),
                    "-out", str(cert)], check=True, capture_output=True)
    der = subprocess.run(["openssl", "x509", "-in", str(cert), "-outform", "DER"],
                         check=True, capture_output=True).stdout
    tokens = TokenServer(key, der)
    http_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(tokens))
    tokens.realm = f"http://127.0.0.1:{http_server.server_address[1]}/token"
    thread = threading.Thread(target=http_server.serve_forever, daemon=True)
    thread.start()
    auth = (f"auth: {{token: {{realm: '{tokens.realm}', service: {SERVICE}, "
            f"issuer: {ISSUER}, rootcertbundle: {cert}}}}}\n")
    try:
        with running_registry(tmp, auth) as registry:
            yield registry, tokens
    finally:
        http_server.shutdown()
        http_server.server_close()


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    return tmp_path / "docker" / "config.json"


def _login(hullbox: Hullbox, host: str) -> None:
    out = hullbox.ok("login", host, "-u", "alice", "--password-stdin", input=b"wonderland\n")
    assert out == "Login Succeeded\n"


def test_push_with_credentials_then_anonymous_pull(
    hullbox: Hullbox, token_registry: tuple[Registry, TokenServer], docker_config: Path
) -> None:
    registry, tokens = token_registry
    ref = f"{registry.host}/tok/busybox:1"
    _login(hullbox, registry.host)
    digest = pushed(hullbox, ref)
    assert ("alice", ["repository:tok/busybox:pull,push"],
            ["repository:tok/busybox:pull,push"]) in tokens.issued
    # A second repository mounts the blobs: one token for both scopes.
    other = f"{registry.host}/tok/copy:1"
    hullbox.ok("tag", ref, other)
    assert hullbox.ok("push", other).count("Mounted from tok/busybox") == 2
    assert any(scopes == ["repository:tok/copy:pull,push", "repository:tok/busybox:pull"]
               for _, scopes, _ in tokens.issued), tokens.issued
    hullbox.ok("rmi", other)
    hullbox.ok("logout", registry.host)
    hullbox.ok("rmi", ref)
    tokens.issued.clear()
    out = hullbox.ok("pull", ref)
    assert f"Digest: {digest}" in out
    # Anonymous: a token asked for without credentials, for pull only.
    assert tokens.issued and all(user == "" for user, _, _ in tokens.issued)
    assert {s for _, scopes, _ in tokens.issued for s in scopes} == {
        "repository:tok/busybox:pull"}
    assert hullbox.ok("run", "--rm", ref, "echo", "via token") == "via token\n"
    hullbox.ok("rmi", ref)


def test_anonymous_push_is_refused_in_one_line(
    hullbox: Hullbox, token_registry: tuple[Registry, TokenServer], docker_config: Path
) -> None:
    registry, _ = token_registry
    ref = f"{registry.host}/tok/anonymous:1"
    hullbox.ok("tag", "busybox:latest", ref)
    line = fails(hullbox, "push", ref)
    assert "requires authentication" in line and f"hullbox login {registry.host}" in line
    hullbox.ok("rmi", ref)


def test_wrong_credentials_are_refused_in_one_line(
    hullbox: Hullbox, token_registry: tuple[Registry, TokenServer], docker_config: Path
) -> None:
    registry, tokens = token_registry
    wrong = hullbox("login", registry.host, "-u", "alice", "--password-stdin",
                    input=b"not-her-password\n")
    assert wrong.returncode == 125, wrong
    lines = wrong.stderr.strip().splitlines()
    assert len(lines) == 1 and "wrong username or password" in lines[0], wrong.stderr
    assert not docker_config.exists()
    assert tokens.refused[-1] == "alice"
    # Stale credentials saved by an earlier login: a pull names the fix.
    docker_config.parent.mkdir(parents=True, exist_ok=True)
    stale = base64.b64encode(b"alice:stale").decode()
    docker_config.write_text(json.dumps({"auths": {registry.host: {"auth": stale}}}))
    line = fails(hullbox, "pull", f"{registry.host}/tok/busybox:1")
    assert "wrong username or password" in line and f"hullbox login {registry.host}" in line
    with contextlib.suppress(FileNotFoundError):
        docker_config.unlink()
