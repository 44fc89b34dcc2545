"""``init: true``: what Docker does for ``--init``, done with the engine's
bind mounts. A static init from the host (docker-init, i.e. tini, or
podman's catatonit) is mounted at /sbin/docker-init and runs as PID 1 with
the service's command as its child, so signals reach the command and
zombies are reaped."""

from __future__ import annotations

import os
from typing import Any

from hullbox.errors import Unsupported

INIT_PATH = "/sbin/docker-init"
#: static inits that take ``-- command...``, in the order Docker and Podman ship them
CANDIDATES = ("/usr/bin/docker-init", "/usr/libexec/docker/docker-init",
              "/usr/libexec/podman/catatonit", "/usr/bin/catatonit")


def init_binary() -> str:
    """The host's init; Unsupported naming the package when there is none."""
    for path in CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    raise Unsupported("init: true needs a static init on this host (docker-init or "
                      "catatonit); install one: apt-get install catatonit")


def init_bind() -> str:
    """The ``-v`` value that puts the init into the container."""
    return f"{init_binary()}:{INIT_PATH}:ro"


def wrap(image_config: Any, options: Any, command: list[str] | None) -> list[str]:
    """Set ``options.entrypoint`` to the init and return its arguments: the
    command line the container would have run without it."""
    from hullbox.engine.specgen import command_line

    args = command_line(image_config, options, list(command or []))
    options.entrypoint = [INIT_PATH, "--"]
    return args
