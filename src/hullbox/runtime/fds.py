"""The descriptors the container's process gets: 0, 1 and 2, and with the
``org.hullbox.preserve-fds`` annotation N (podman's --preserve-fds) also 3
to 3+N-1, as runc's --preserve-fds passes them. Any other descriptor the
runtime inherited (from a shell, a CI runner, a test harness) stays out,
as with docker and podman."""

from __future__ import annotations

import contextlib
import os

from hullbox.linux.fds import close_on_exec_from

PRESERVE_FDS_ANNOTATION = "org.hullbox.preserve-fds"


def preserve(annotations: dict[str, str], count: int) -> None:
    """``--preserve-fds N`` of the runtime's command line (runc's), which
    wins over the bundle's annotation."""
    if count:
        annotations[PRESERVE_FDS_ANNOTATION] = str(count)


def pass_descriptors(annotations: dict[str, str]) -> None:
    """Runs in the container's init before its exec."""
    count = int(annotations.get(PRESERVE_FDS_ANNOTATION) or 0)
    for fd in range(3, 3 + count):
        with contextlib.suppress(OSError):  # checked open by the CLI; closed since: nothing
            os.set_inheritable(fd, True)
    close_on_exec_from(3 + count)
