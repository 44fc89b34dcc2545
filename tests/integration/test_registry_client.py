"""The registry client against a small in-process registry double: the Bearer
token flow (anonymous and with credentials), Retry-After on 503/429, the
Docker config file and credential helpers, platform choice, and that httpx
stays off the ``hullbox run`` path. The real registry is in
tests/e2e/test_pull_push.py."""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hullbox.errors import InvalidArgument
from hullbox.registry import credentials
from hullbox.registry.challenge import parse_challenges
from hullbox.registry.client import RegistryClient
from hullbox.registry.errors import AuthError, RegistryError
from hullbox.registry.platform import parse_platform, select_manifest


@dataclass
class Double:
    """A token-protected registry: /token hands out a token to alice (or to
    anyone for pull when ``anonymous``); /v2/app/manifests/1 wants it."""

    anonymous: bool = False
    busy: list[int] = field(default_factory=list)  # statuses to answer first
    seen: list[tuple[str, str]] = field(default_factory=list)
    host: str = ""


def _handler(double: Double) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key.replace("_", "-"), value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            double.seen.append((self.path, self.headers.get("Authorization", "")))
            if double.busy:
                self._send(double.busy.pop(0), Retry_After="2")
                return
            if self.path.startswith("/token"):
                self._token()
                return
            if self.headers.get("Authorization") != "Bearer T0KEN":
                challenge = (f'Bearer realm="http://{double.host}/token",service="double",'
                             'scope="repository:app:pull"')
                self._send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"no"}]}',
                           WWW_Authenticate=challenge)
                return
            self._send(200, b"{}", Content_Type="application/json")

        def _token(self) -> None:
            alice = "Basic " + base64.b64encode(b"alice:secret").decode()
            given = self.headers.get("Authorization", "")
            if given == alice or (not given and double.anonymous):
                self._send(200, json.dumps({"token": "T0KEN"}).encode())
            else:
                self._send(401)

    return Handler


@pytest.fixture
def double() -> Iterator[Double]:
    state = Double()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.host = f"127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    return tmp_path / "docker" / "config.json"


def _get(client: RegistryClient) -> int:
    return client.request("GET", "/v2/app/manifests/1",
                          scopes=("repository:app:pull",)).status_code


def test_bearer_token_with_credentials(double: Double) -> None:
    creds = credentials.Credentials("alice", "secret")
    with RegistryClient(double.host, credentials=creds) as client:
        assert _get(client) == 200
        assert _get(client) == 200
    token_requests = [p for p, _ in double.seen if p.startswith("/token")]
    assert token_requests == ["/token?service=double&scope=repository%3Aapp%3Apull"]


def test_bearer_token_anonymous(double: Double) -> None:
    double.anonymous = True
    with RegistryClient(double.host, use_stored_credentials=False) as client:
        assert _get(client) == 200


def test_bearer_without_credentials_says_to_log_in(double: Double) -> None:
    with RegistryClient(double.host) as client, pytest.raises(AuthError) as err:
        _get(client)
    assert str(err.value) == (f"registry {double.host} requires authentication; "
                              f"run: hullbox login {double.host}")


def test_wrong_password(double: Double) -> None:
    creds = credentials.Credentials("alice", "wrong")
    with RegistryClient(double.host, credentials=creds) as client, \
            pytest.raises(AuthError, match="wrong username or password"):
        _get(client)


def test_stored_credentials_are_used(double: Double, docker_config: Path) -> None:
    credentials.store(double.host, credentials.Credentials("alice", "secret"))
    saved = json.loads(docker_config.read_text())["auths"][double.host]["auth"]
    assert base64.b64decode(saved) == b"alice:secret"
    with RegistryClient(double.host) as client:
        assert _get(client) == 200


def test_retry_after_is_honoured(double: Double) -> None:
    double.anonymous = True
    double.busy = [503, 429]
    waits: list[float] = []
    with RegistryClient(double.host, sleep=waits.append) as client:
        assert _get(client) == 200
    assert waits == [2.0, 2.0]


def test_gives_up_after_retries(double: Double) -> None:
    double.busy = [503] * 10
    with RegistryClient(double.host, sleep=lambda _: None) as client, \
            pytest.raises(RegistryError, match="is not an OCI registry"):
        client.ping()


def test_credential_helper(tmp_path: Path, docker_config: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    helper = tmp_path / "bin" / "docker-credential-fake"
    helper.parent.mkdir()
    helper.write_text('#!/bin/sh\n[ "$1" = get ] && read server && '
                      'echo "{\\"Username\\":\\"bob\\",\\"Secret\\":\\"for-$server\\"}"\n')
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{helper.parent}:{os.environ['PATH']}")
    docker_config.parent.mkdir(parents=True)
    docker_config.write_text(json.dumps({"credHelpers": {"reg.example:5000": "fake"}}))
    assert credentials.lookup("reg.example:5000") == credentials.Credentials(
        "bob", "for-reg.example:5000")
    assert credentials.lookup("other.example") is None


def test_challenge_parsing() -> None:
    header = ('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
              'scope="repository:library/busybox:pull,push", Basic realm="x"')
    bearer, basic = parse_challenges(header)
    assert bearer.scheme == "bearer" and bearer.realm == "https://auth.docker.io/token"
    assert bearer.params["scope"] == "repository:library/busybox:pull,push"
    assert basic.scheme == "basic" and basic.realm == "x"


def test_platform_choice() -> None:
    index = {"manifests": [
        {"digest": "a", "platform": {"os": "linux", "architecture": "arm", "variant": "v6"}},
        {"digest": "b", "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
        {"digest": "c", "platform": {"os": "linux", "architecture": "arm64"}},
        {"digest": "d", "platform": {"os": "linux", "architecture": "amd64"}},
    ]}
    assert select_manifest(index, parse_platform(None))["digest"] == "d"  # type: ignore[index]
    assert select_manifest(index, parse_platform("linux/arm"))["digest"] == "b"  # type: ignore[index]
    assert select_manifest(index, parse_platform("linux/arm/v6"))["digest"] == "a"  # type: ignore[index]
    assert select_manifest(index, parse_platform("linux/arm64/v8"))["digest"] == "c"  # type: ignore[index]
    assert select_manifest(index, parse_platform("linux/s390x")) is None
    with pytest.raises(InvalidArgument, match="expected os/arch"):
        parse_platform("linux")


def test_run_path_does_not_import_httpx() -> None:
    code = ("import sys; from hullbox.engine.engine import Engine; Engine('/nonexistent'); "
            "import hullbox.cli.main as m; m._register(); "
            "print('httpx' in sys.modules, 'hullbox.registry' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False"]


def test_unknown_registry_scheme_error_is_one_line() -> None:
    with contextlib.closing(RegistryClient("127.0.0.1:1", sleep=lambda _: None)) as client, \
            pytest.raises(RegistryError) as err:
        client.ping()
    assert "\n" not in str(err.value) and "cannot reach registry 127.0.0.1:1" in str(err.value)
