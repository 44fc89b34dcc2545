"""Volume names: Docker's rules for the ``local`` driver, and anonymous names."""

from __future__ import annotations

import os
import re

from hullbox.errors import InvalidArgument

_VALID = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")

#: The label Docker puts on anonymous volumes; ``volume prune`` without ``-a``
#: removes only volumes that carry it.
ANONYMOUS_LABEL = "com.docker.volume.anonymous"


def validate_volume_name(name: str) -> str:
    """Return ``name`` or raise InvalidArgument with Docker's explanation."""
    if len(name) < 2:
        raise InvalidArgument(
            f"volume name {name!r} is too short: names need at least two characters "
            "from [a-zA-Z0-9_.-], the first alphanumeric"
        )
    if not _VALID.match(name):
        raise InvalidArgument(
            f'"{name}" includes invalid characters for a local volume name, only '
            '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed; to mount a host directory, '
            "give its absolute path"
        )
    return name


def new_anonymous_name() -> str:
    """64 random hex digits, as Docker names anonymous volumes."""
    return os.urandom(32).hex()
