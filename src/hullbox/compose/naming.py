"""Names and labels compose gives the things it makes, so that tools which
read Docker Compose's labels work on hullbox projects too."""

from __future__ import annotations

import hashlib
import json
from typing import Any

LABEL_PROJECT = "com.docker.compose.project"
LABEL_SERVICE = "com.docker.compose.service"
LABEL_NUMBER = "com.docker.compose.container-number"
LABEL_CONFIG_HASH = "com.docker.compose.config-hash"
LABEL_ONEOFF = "com.docker.compose.oneoff"
LABEL_WORKING_DIR = "com.docker.compose.project.working_dir"
LABEL_CONFIG_FILES = "com.docker.compose.project.config_files"
LABEL_DEPENDS_ON = "com.docker.compose.depends_on"
LABEL_IMAGE = "com.docker.compose.image"
LABEL_VERSION = "com.docker.compose.version"

SEPARATOR = "-"


def container_name(project: str, service: str, number: int) -> str:
    """``project-service-N``, as docker compose v2 names replicas."""
    return f"{project}{SEPARATOR}{service}{SEPARATOR}{number}"


def service_image(project: str, name: str, service: dict[str, Any]) -> str:
    """The image a service runs: its ``image``, else the one ``build`` makes
    (``project-service``)."""
    image = service.get("image")
    if image:
        return str(image)
    return f"{project}{SEPARATOR}{name}"


def config_hash(service: dict[str, Any]) -> str:
    """A digest of everything in a service's configuration that changes the
    container (not its replica count, not its dependencies' conditions), so
    ``up`` recreates exactly the services whose configuration changed."""
    relevant = {k: v for k, v in service.items()
                if k not in ("scale", "depends_on", "profiles", "build", "pull_policy")}
    deploy = relevant.get("deploy")
    if isinstance(deploy, dict):
        relevant["deploy"] = {k: v for k, v in deploy.items() if k != "replicas"}
    text = json.dumps(relevant, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
