"""Where the guest kernel that hullbox boots by default lives.

scripts/fetch-guest-kernel.sh unpacks Debian's linux-image-cloud-amd64 there;
``$HULLBOX_GUEST_KERNEL`` points elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from hullbox.errors import NotFound

DEFAULT_GUEST_DIR = Path("/usr/local/share/hullbox/guest")


def guest_kernel_path() -> Path:
    """The configured guest kernel, whether or not it exists."""
    env = os.environ.get("HULLBOX_GUEST_KERNEL")
    return Path(env) if env else DEFAULT_GUEST_DIR / "vmlinuz"


def guest_kernel() -> Path:
    """The guest kernel, or NotFound saying how to get one."""
    path = guest_kernel_path()
    if not path.is_file():
        raise NotFound(f"guest kernel {path} not found; fetch it with "
                       "scripts/fetch-guest-kernel.sh or set HULLBOX_GUEST_KERNEL")
    return path


def guest_modules_dir(kernel: Path) -> Path | None:
    """lib/modules/VERSION next to a kernel unpacked by fetch-guest-kernel.sh."""
    real = kernel.resolve()
    version = real.name.removeprefix("vmlinuz-")
    modules = real.parent / "lib" / "modules" / version
    return modules if modules.is_dir() else None
