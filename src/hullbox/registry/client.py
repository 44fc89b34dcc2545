"""An HTTP session with one registry: authentication, retries, error text.

Authentication follows the distribution spec's token flow: ``GET /v2/`` tells
which scheme the registry wants; for ``Bearer`` a token is fetched from the
realm for each set of repository scopes and reused; for ``Basic`` the stored
credentials go with every request. A 401 on a request (a token expired, a
scope was missing) re-runs the flow once.
"""

from __future__ import annotations

import base64
import email.utils
import os
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

from hullbox.registry import credentials as creds_mod
from hullbox.registry.challenge import Challenge, parse_challenges
from hullbox.registry.credentials import Credentials
from hullbox.registry.endpoint import Endpoint, endpoint_for, ssl_context
from hullbox.registry.errors import AuthError, RegistryError
from hullbox.registry.wire import GetTransport

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_MAX_ATTEMPTS = 5
_MAX_RETRY_AFTER = 30.0
_USER_AGENT = "hullbox/0.1 (+distribution-spec)"

Body = bytes | Callable[[], Iterable[bytes]] | None

# httpcore reads a response 64 KiB at a time, and each read costs a trip
# through h11's parser. Reads return what has arrived, up to this size, so
# bytes received before a cut connection still reach the partial file. (GETs
# take registry.wire unless a proxy is set.)
httpcore._sync.http11.HTTP11Connection.READ_NUM_BYTES = 1 << 20


def backoff(attempt: int, response: httpx.Response | None) -> float:
    """Seconds to wait before retry ``attempt`` (1-based): the registry's
    Retry-After when it gives one, else exponential from 0.25 s."""
    if response is not None:
        value = response.headers.get("retry-after", "").strip()
        if value.isdigit():
            return float(min(float(value), _MAX_RETRY_AFTER))
        if value:
            try:
                when: float = email.utils.parsedate_to_datetime(value).timestamp()
                return max(0.0, min(when - time.time(), _MAX_RETRY_AFTER))
            except (TypeError, ValueError):
                pass
    return float(min(0.25 * 2 ** (attempt - 1), 8.0))


def error_text(response: httpx.Response) -> str:
    """The registry's own words for a failure (its ``errors`` JSON), else the
    status line."""
    try:
        errors = response.json().get("errors") or []
        first = errors[0]
        message = first.get("message") or first.get("code")
        if message:
            return f"{message} (HTTP {response.status_code})"
    except (ValueError, AttributeError, IndexError, TypeError):  # not the errors JSON
        pass
    return f"HTTP {response.status_code} {response.reason_phrase}".strip()


class RegistryClient:
    """Requests to one registry. Use as a context manager; thread-safe for the
    parallel layer transfers (httpx.Client is, and the token cache is only
    ever replaced whole)."""

    def __init__(
        self,
        registry: str,
        *,
        insecure: bool = False,
        credentials: Credentials | None = None,
        use_stored_credentials: bool = True,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = endpoint_for(registry, insecure=insecure)
        self._credentials = credentials
        if credentials is None and use_stored_credentials:
            self._credentials = creds_mod.lookup(registry)
        self._timeout = timeout
        self._sleep = sleep
        self._http = self._make_http(self.endpoint)
        self._challenge: Challenge | None = None
        self._pinged = False
        self._ping_lock = threading.Lock()
        self._tokens: dict[tuple[str, ...], str] = {}

    def _make_http(self, endpoint: Endpoint) -> httpx.Client:
        verify = ssl_context(endpoint)
        limits = httpx.Limits(max_connections=16, max_keepalive_connections=16)
        transport: httpx.BaseTransport | None = None
        if not _proxies_in_env():  # httpx's own transport goes through them
            transport = GetTransport(_context(verify),
                                     httpx.HTTPTransport(verify=verify, limits=limits))
        return httpx.Client(
            verify=verify,
            timeout=httpx.Timeout(self._timeout, connect=10.0),
            follow_redirects=True,
            headers={"User-Agent": _USER_AGENT},
            limits=limits,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def registry(self) -> str:
        return self.endpoint.registry

    # -- ping and auth -----------------------------------------------------
    def ping(self) -> None:
        """``GET /v2/``: check the registry speaks the protocol and learn its
        authentication scheme. An insecure registry that does not speak TLS
        is retried over plain HTTP."""
        if self._pinged:
            return
        with self._ping_lock:  # the layers of a push or pull ask at once
            if not self._pinged:
                self._ping()

    def _ping(self) -> None:
        try:
            response = self._send("GET", "/v2/", headers={}, body=None)
        except RegistryError:
            if not (self.endpoint.insecure and self.endpoint.scheme == "https"):
                raise
            self._http.close()
            self.endpoint = self.endpoint.plain_http()
            self._http = self._make_http(self.endpoint)
            response = self._send("GET", "/v2/", headers={}, body=None)
        if response.status_code == 401:
            self._challenge = _pick(parse_challenges(response.headers.get("www-authenticate", "")))
            if self._challenge is None:
                raise AuthError(
                    f"registry {self.registry} asks for authentication in a way hullbox "
                    "does not support (neither Bearer nor Basic)"
                )
        elif response.status_code not in (200, 204):
            raise RegistryError(
                f"{self.registry} is not an OCI registry: GET /v2/ answered "
                f"{error_text(response)}"
            )
        self._pinged = True

    def login(self) -> None:
        """Prove the credentials work: ping, then authenticate with no scope."""
        self.ping()
        if self._challenge is None:
            return  # an open registry accepts anything, as docker login does
        if self._credentials is None:
            raise AuthError(f"login to {self.registry}: a username and password are needed")
        headers = self._auth_headers(())
        response = self._send("GET", "/v2/", headers=headers, body=None)
        if response.status_code == 401:
            raise AuthError(
                f"login to {self.registry} failed: wrong username or password"
            )
        if response.status_code >= 400:
            raise RegistryError(f"login to {self.registry}: {error_text(response)}")

    def _auth_headers(self, scopes: tuple[str, ...]) -> dict[str, str]:
        challenge = self._challenge
        if challenge is None:
            return {}
        if challenge.scheme == "basic":
            if self._credentials is None:
                raise self._needs_login()
            raw = f"{self._credentials.username}:{self._credentials.password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        token = self._tokens.get(scopes)
        if token is None:
            token = self._fetch_token(challenge, scopes)
            self._tokens = {**self._tokens, scopes: token}
        return {"Authorization": f"Bearer {token}"}

    def _fetch_token(self, challenge: Challenge, scopes: tuple[str, ...]) -> str:
        if not challenge.realm:
            raise AuthError(f"registry {self.registry} sent a Bearer challenge with no realm")
        params: list[tuple[str, str | int | float | bool | None]] = []
        if challenge.params.get("service"):
            params.append(("service", challenge.params["service"]))
        params.extend(("scope", s) for s in scopes)
        creds = self._credentials
        try:
            if creds is not None and creds.username == "<token>":
                form = dict(params)
                form.update(grant_type="refresh_token", refresh_token=creds.password,
                            client_id="hullbox")
                response = self._http.post(challenge.realm, data=form)
            else:
                auth = (creds.username, creds.password) if creds else None
                response = self._http.get(challenge.realm, params=params, auth=auth)
        except httpx.HTTPError as exc:
            raise RegistryError(
                f"get a token for {self.registry} from {challenge.realm}: {exc}"
            ) from exc
        if response.status_code in (401, 403):
            if creds is None:
                raise self._needs_login()
            raise AuthError(
                f"authentication to {self.registry} failed: wrong username or password; "
                f"run: hullbox login {self.registry}"
            )
        if response.status_code >= 400:
            raise AuthError(f"token server for {self.registry}: {error_text(response)}")
        data: dict[str, Any] = response.json()
        token = data.get("token") or data.get("access_token")
        if not token:
            raise AuthError(f"token server for {self.registry} answered without a token")
        return str(token)

    def _needs_login(self) -> AuthError:
        return AuthError(
            f"registry {self.registry} requires authentication; run: hullbox login {self.registry}"
        )

    # -- requests ----------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        scopes: tuple[str, ...],
        headers: dict[str, str] | None = None,
        body: Body = None,
        stream: bool = False,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One authenticated request, retried on 5xx/429 and network errors.
        ``path`` is under the registry (``/v2/...``) or an absolute URL (an
        upload Location). The caller closes a streamed response."""
        self.ping()
        renewed = False
        while True:
            all_headers = {**(headers or {}), **self._auth_headers(scopes)}
            response = self._send(method, path, headers=all_headers, body=body,
                                  stream=stream, params=params)
            if response.status_code != 401 or renewed:
                break
            response.close()
            renewed = True
            self._renew(response, scopes)
        if response.status_code == 401:
            response.close()
            if self._credentials is None:
                raise self._needs_login()
            raise AuthError(
                f"authentication to {self.registry} failed: wrong username or password; "
                f"run: hullbox login {self.registry}"
            )
        if response.status_code == 403:
            response.close()
            raise AuthError(
                f"{self.registry} denied {method} {_short(path)}: access forbidden; "
                "check the repository name and that your account may use it"
            )
        return response

    def _renew(self, response: httpx.Response, scopes: tuple[str, ...]) -> None:
        """A 401 mid-session: take the new challenge (its scope may differ)
        and drop the cached token for these scopes."""
        picked = _pick(parse_challenges(response.headers.get("www-authenticate", "")))
        if picked is not None:
            self._challenge = picked
        self._tokens = {k: v for k, v in self._tokens.items() if k != scopes}

    def _send(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        body: Body,
        stream: bool = False,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        url = path if path.startswith(("http://", "https://")) else self.endpoint.base + path
        attempt = 0
        while True:
            attempt += 1
            content = body() if callable(body) else body
            try:
                request = self._http.build_request(
                    method, url, headers=headers, content=content, params=params
                )
                response = self._http.send(request, stream=stream)
            except httpx.TransportError as exc:
                # A refused connection will not be accepted a second later:
                # retry it once, other network errors (resets, timeouts) more;
                # a failed TLS handshake (a plain-HTTP registry) not at all.
                limit = (1 if isinstance(exc.__cause__, ssl.SSLError) else
                         2 if isinstance(exc, httpx.ConnectError) else _MAX_ATTEMPTS)
                if attempt >= limit or isinstance(exc, httpx.UnsupportedProtocol):
                    raise RegistryError(
                        f"cannot reach registry {self.registry} ({url.split('?')[0]}): "
                        f"{_reason(exc)}; check the name and that the registry is running"
                    ) from exc
                self._sleep(backoff(attempt, None))
                continue
            if response.status_code in RETRY_STATUSES and attempt < _MAX_ATTEMPTS:
                delay = backoff(attempt, response)
                response.close()
                self._sleep(delay)
                continue
            return response


def _proxies_in_env() -> bool:
    return any(name.lower() in ("http_proxy", "https_proxy", "all_proxy")
               for name in os.environ)


def _context(verify: ssl.SSLContext | bool) -> ssl.SSLContext:
    if isinstance(verify, ssl.SSLContext):
        return verify
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _pick(challenges: list[Challenge]) -> Challenge | None:
    """Bearer is preferred to Basic when a registry offers both."""
    for scheme in ("bearer", "basic"):
        for challenge in challenges:
            if challenge.scheme == scheme:
                return challenge
    return None


def _reason(exc: httpx.TransportError) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


def _short(path: str) -> str:
    return path.split("?", 1)[0]
