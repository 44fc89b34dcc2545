"""Where a registry lives: its scheme and how its TLS certificate is checked.

Loopback registries and those named insecure (``--insecure``,
``$HULLBOX_INSECURE_REGISTRIES``, ``insecure-registries`` in
/etc/docker/daemon.json) get HTTPS without verification, falling back to
plain HTTP, as Docker treats them without configuration; all others get
HTTPS verified against the system CA store plus any
``/etc/docker/certs.d/HOST/*.crt``.
"""

from __future__ import annotations

import json
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

DOCKER_HUB_API = "registry-1.docker.io"
DAEMON_JSON = Path("/etc/docker/daemon.json")
CERTS_D = Path("/etc/docker/certs.d")


@dataclass(frozen=True)
class Endpoint:
    """The base URL of a registry and its TLS policy."""

    registry: str  # as in the reference: docker.io, localhost:5000
    host: str  # what is dialled: registry-1.docker.io for docker.io
    scheme: str  # "https" or "http"
    verify: bool  # check the certificate (https only)
    insecure: bool  # allowed to fall back to plain HTTP

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}"

    def plain_http(self) -> Endpoint:
        return Endpoint(self.registry, self.host, "http", False, self.insecure)


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 and ::1, with or without a port."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]")
    return name == "localhost" or name.startswith("127.") or name == "::1"


def configured_insecure() -> set[str]:
    """Registries the host's configuration marks as insecure."""
    names = {n.strip() for n in os.environ.get("HULLBOX_INSECURE_REGISTRIES", "").split(",")}
    try:
        data = json.loads(DAEMON_JSON.read_text())
        names.update(str(n) for n in data.get("insecure-registries") or [])
    except (OSError, ValueError, AttributeError):
        pass  # no docker configuration: nothing is insecure by it
    return {n for n in names if n}


def endpoint_for(registry: str, *, insecure: bool = False) -> Endpoint:
    """The endpoint of a registry named in a reference."""
    host = DOCKER_HUB_API if registry == "docker.io" else registry
    if insecure or is_loopback(registry) or registry in configured_insecure():
        return Endpoint(registry, host, "https", False, True)
    return Endpoint(registry, host, "https", True, False)


def ssl_context(endpoint: Endpoint) -> ssl.SSLContext | bool:
    """The system CA store (honouring SSL_CERT_FILE/SSL_CERT_DIR) plus Docker's
    per-registry CA directory; False when verification is off."""
    if not endpoint.verify:
        return False
    context = ssl.create_default_context()
    extra = CERTS_D / endpoint.registry
    if extra.is_dir():
        for cert in sorted(extra.glob("*.crt")):
            context.load_verify_locations(cafile=str(cert))
    return context
