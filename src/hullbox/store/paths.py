"""Where the store lives and how it is laid out on disk.

    ROOT/
      hullbox.db            SQLite (WAL): names, tags, images, containers
      lock                  flock(2) taken by commands that change files
      blobs/sha256/HEX      content-addressed blobs (configs, manifests, layers)
      layers/HEX/diff       a layer unpacked once, by ChainID, shared read-only
      containers/ID/        one container: config.json bundle, overlay upper/work
      tmp/                  staging for atomic writes (same filesystem as the rest)
"""

from __future__ import annotations

import os
from pathlib import Path


def default_root() -> Path:
    """``$HULLBOX_ROOT``, else /var/lib/hullbox for root, else the XDG data dir."""
    env = os.environ.get("HULLBOX_ROOT")
    if env:
        return Path(env)
    if os.geteuid() == 0:
        return Path("/var/lib/hullbox")
    xdg = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return Path(xdg) / "hullbox"
