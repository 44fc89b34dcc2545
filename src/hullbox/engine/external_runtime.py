"""Running a bundle with another OCI runtime (``--runtime runc``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from hullbox.errors import InvalidArgument


def run_external(
    runtime: str, bundle: Path, container_id: str, *, stdin: int | None, stdout: int,
    stderr: int,
) -> int:
    """``RUNTIME --root /run/hullbox/RUNTIME run --bundle B ID``; its exit code is
    the container's, as runc passes it through."""
    binary = shutil.which(runtime)
    if binary is None:
        raise InvalidArgument(
            f"runtime {runtime!r} not found on PATH; install it (apt-get install {runtime}) "
            "or use the built-in runtime"
        )
    result = subprocess.run(
        [binary, "--root", f"/run/hullbox/{runtime}", "run", "--bundle", str(bundle),
         container_id],
        stdin=subprocess.DEVNULL if stdin is None else stdin,
        stdout=stdout,
        stderr=stderr,
        check=False,
    )
    return result.returncode if result.returncode >= 0 else 128 - result.returncode
