"""Credentials in ``~/.docker/config.json``, the file docker, podman and skopeo
share: ``auths`` entries (base64 ``user:password``) and credential helpers
(``credsStore`` for all registries, ``credHelpers`` per registry) run as
``docker-credential-NAME get|store|erase``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hullbox.registry.errors import AuthError

DOCKER_HUB_KEY = "https://index.docker.io/v1/"
_HUB_HOSTS = {"docker.io", "index.docker.io", "registry-1.docker.io"}


@dataclass(frozen=True)
class Credentials:
    """A user name and a password (or identity token)."""

    username: str
    password: str


_auth_file: Path | None = None  # --authfile of the running command


def use_auth_file(path: str) -> None:
    """``--authfile``: this command's credentials live in ``path``."""
    global _auth_file
    _auth_file = Path(path)


def config_path() -> Path:
    """--authfile, else podman's ``$REGISTRY_AUTH_FILE``, else
    ``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``."""
    if _auth_file is not None:
        return _auth_file
    if os.environ.get("REGISTRY_AUTH_FILE"):
        return Path(os.environ["REGISTRY_AUTH_FILE"])
    base = os.environ.get("DOCKER_CONFIG")
    return Path(base) / "config.json" if base else Path.home() / ".docker" / "config.json"


def server_key(registry: str) -> str:
    """The ``auths`` key docker writes for a registry (Docker Hub keeps its v1 URL)."""
    host = _host(registry)
    return DOCKER_HUB_KEY if host in _HUB_HOSTS else host


def _host(key: str) -> str:
    """``https://reg:5000/v2/`` -> ``reg:5000``: keys may be URLs or bare hosts."""
    key = key.removeprefix("https://").removeprefix("http://")
    return key.split("/", 1)[0]


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise AuthError(f"read {path}: {exc}; fix or remove the file") from exc
    return data if isinstance(data, dict) else {}


def _helper_for(config: dict[str, Any], registry: str) -> str | None:
    helpers = config.get("credHelpers") or {}
    host = _host(registry)
    for key, name in helpers.items():
        if _host(key) == host or (host in _HUB_HOSTS and _host(key) in _HUB_HOSTS):
            return str(name)
    store = config.get("credsStore")
    return str(store) if store else None


def lookup(registry: str, path: Path | None = None) -> Credentials | None:
    """The credentials stored for ``registry`` (a host[:port]), or None."""
    config = _load(path or config_path())
    helper = _helper_for(config, registry)
    if helper:
        found = _helper_get(helper, server_key(registry))
        if found is not None:
            return found
    host = _host(registry)
    for key, entry in (config.get("auths") or {}).items():
        if _host(key) == host or (host in _HUB_HOSTS and _host(key) in _HUB_HOSTS):
            return _decode(entry, key)
    return None


def _decode(entry: dict[str, Any], key: str) -> Credentials | None:
    if entry.get("identitytoken"):
        return Credentials("<token>", str(entry["identitytoken"]))
    if entry.get("auth"):
        try:
            user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
        except ValueError as exc:
            raise AuthError(
                f"the credentials for {key} in {config_path()} are not valid base64; "
                f"run: hullbox login {key}"
            ) from exc
        return Credentials(user, password)
    if entry.get("username"):
        return Credentials(str(entry["username"]), str(entry.get("password", "")))
    return None


def _helper(name: str, action: str, payload: str) -> str:
    program = f"docker-credential-{name}"
    try:
        done = subprocess.run(
            [program, action], input=payload, capture_output=True, text=True,
            timeout=60, check=False,
        )
    except FileNotFoundError as exc:
        raise AuthError(
            f"credential helper {program} named in {config_path()} is not installed"
        ) from exc
    if done.returncode != 0:
        message = (done.stdout.strip() or done.stderr.strip()).splitlines()
        raise AuthError(f"{program} {action}: {message[0] if message else 'failed'}")
    return done.stdout


def _helper_get(name: str, server: str) -> Credentials | None:
    try:
        out = _helper(name, "get", server + "\n")  # helpers trim it; shell ones need it
    except AuthError as exc:
        if "credentials not found" in str(exc).lower():
            return None
        raise
    try:
        data = json.loads(out)
    except ValueError as exc:
        raise AuthError(f"docker-credential-{name} get: answer is not JSON") from exc
    return Credentials(str(data.get("Username", "")), str(data.get("Secret", "")))


def store(registry: str, creds: Credentials, path: Path | None = None) -> Path:
    """Save credentials as ``docker login`` does: in the helper when one is
    named, else base64 in ``auths``. Returns the config file path."""
    path = path or config_path()
    config = _load(path)
    key = server_key(registry)
    helper = _helper_for(config, registry)
    if helper:
        payload = json.dumps({"ServerURL": key, "Username": creds.username,
                              "Secret": creds.password})
        _helper(helper, "store", payload)
        config.setdefault("auths", {})[key] = {}
    else:
        token = base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()
        config.setdefault("auths", {})[key] = {"auth": token}
    _write(path, config)
    return path


def erase(registry: str, path: Path | None = None) -> bool:
    """Forget the credentials of ``registry``; False when there were none."""
    path = path or config_path()
    config = _load(path)
    host = _host(registry)
    auths = config.get("auths") or {}
    keys = [k for k in auths if _host(k) == host or (host in _HUB_HOSTS and _host(k) in _HUB_HOSTS)]
    helper = _helper_for(config, registry)
    found = bool(keys)
    if helper:
        with contextlib.suppress(AuthError):
            _helper(helper, "erase", server_key(registry))
            found = True
    for key in keys:
        del auths[key]
    if keys:
        _write(path, config)
    return found


def _write(path: Path, config: dict[str, Any]) -> None:
    """Atomically, mode 0600: the file holds passwords."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(config, out, indent="\t")
        out.write("\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
