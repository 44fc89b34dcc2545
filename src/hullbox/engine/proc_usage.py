"""What a container's processes use, read from /proc: ``stats`` of a
container whose cgroup does not count it (rootless, where the memory, cpu or
pids controller is not delegated to the user)."""

from __future__ import annotations

import os

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def process_usage(pids: list[int]) -> tuple[int, int, int]:
    """(CPU time in ns, resident memory in bytes, processes) of ``pids``
    (those that exited meanwhile are not counted)."""
    cpu_ticks = resident = alive = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                data = handle.read()
            with open(f"/proc/{pid}/statm", "rb") as handle:
                pages = int(handle.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        fields = data[data.rindex(b")") + 2:].split()
        cpu_ticks += int(fields[11]) + int(fields[12])  # utime, stime
        resident += pages * _PAGE
        alive += 1
    return cpu_ticks * 1_000_000_000 // _TICKS, resident, alive
