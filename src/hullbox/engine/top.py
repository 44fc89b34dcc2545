"""``top``: the processes of a container, found in its cgroup.

Without ps options the table is built from /proc, with the columns of
``ps -ef`` that Docker shows (UID PID PPID C STIME TTY TIME CMD). With ps
options, as Docker does, the host's ``ps`` runs with them and only the rows
whose PID is in the container's cgroup are kept.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass

from hullbox.engine.pause import cgroup_path
from hullbox.errors import InvalidArgument, RuntimeFailure
from hullbox.store.containers import ContainerRecord

DEFAULT_TITLES = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class ProcessTable:
    """What ``docker top`` returns: column titles and one row per process."""

    titles: list[str]
    processes: list[list[str]]


def container_pids(container_id: str, init_pid: int = 0) -> list[int]:
    """The pids (host numbering) of every process in the container's cgroup;
    without one (rootless, cgroups not delegated), those in its init's pid
    namespace."""
    from hullbox.runtime.cgroups import open_cgroup

    for directory in open_cgroup(cgroup_path(container_id)).dirs.values():
        try:
            with open(os.path.join(directory, "cgroup.procs")) as procs:
                return sorted(int(line) for line in procs if line.strip())
        except FileNotFoundError:
            continue
    return _pid_namespace_members(init_pid) if init_pid > 0 else []


def _pid_namespace_members(init_pid: int) -> list[int]:
    try:
        namespace = os.readlink(f"/proc/{init_pid}/ns/pid")
        if namespace == os.readlink("/proc/self/ns/pid"):  # --pid host: not told apart
            return [init_pid]
    except OSError:
        return []
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") == namespace:
                    members.append(int(entry))
            except OSError:
                continue  # exited, or not ours to look at
    return sorted(members)


def _boot_time() -> float:
    with open("/proc/stat") as stat:
        for line in stat:
            if line.startswith("btime "):
                return float(line.split()[1])
    return 0.0


def _user_name(uid: int, cache: dict[int, str]) -> str:
    if uid not in cache:
        import pwd

        try:
            cache[uid] = pwd.getpwuid(uid).pw_name
        except KeyError:
            cache[uid] = str(uid)
    return cache[uid]


def _tty_name(tty_nr: int) -> str:
    major, minor = (tty_nr >> 8) & 0xFFF, (tty_nr & 0xFF) | ((tty_nr >> 12) & 0xFFF00)
    if tty_nr == 0:
        return "?"
    if 136 <= major <= 143:
        return f"pts/{(major - 136) * 256 + minor}"
    if major == 4:
        return f"tty{minor}" if minor < 64 else f"ttyS{minor - 64}"
    return "?"


def _cpu_time(ticks: int) -> str:
    seconds = ticks // _TICKS
    days, seconds = divmod(seconds, 86400)
    text = f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{days}-{text}" if days else text


def _start_time(started: float, now: float) -> str:
    moment = time.localtime(started)
    if now - started < 86400:
        return time.strftime("%H:%M", moment)
    if time.localtime(now).tm_year == moment.tm_year:
        return time.strftime("%b%d", moment)
    return time.strftime("%Y", moment)


def _row(pid: int, boot: float, now: float, users: dict[int, str]) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            comm_end = (data := handle.read()).rindex(b")")
        fields = data[comm_end + 2:].split()
        comm = data[data.index(b"(") + 1:comm_end].decode(errors="replace")
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            argv = handle.read().rstrip(b"\0").split(b"\0")
        uid = os.stat(f"/proc/{pid}").st_uid
    except (OSError, ValueError):
        return None  # exited while we looked
    ppid, tty_nr = int(fields[1]), int(fields[4])
    cpu_ticks = int(fields[11]) + int(fields[12])
    started = boot + int(fields[19]) / _TICKS
    elapsed = max(now - started, 1e-9)
    cpu_percent = int(cpu_ticks / _TICKS / elapsed * 100)
    cmd = " ".join(a.decode(errors="replace") for a in argv) if argv != [b""] else f"[{comm}]"
    return [_user_name(uid, users), str(pid), str(ppid), str(cpu_percent),
            _start_time(started, now), _tty_name(tty_nr), _cpu_time(cpu_ticks), cmd]


def _from_proc(pids: list[int]) -> ProcessTable:
    boot, now = _boot_time(), time.time()
    users: dict[int, str] = {}
    rows = [row for pid in pids if (row := _row(pid, boot, now, users)) is not None]
    return ProcessTable(list(DEFAULT_TITLES), rows)


def _from_ps(pids: list[int], ps_args: list[str]) -> ProcessTable:
    """Docker's way: the host's ps with the user's options and ``-q PIDS``
    (retried without, as some options refuse it), rows filtered by PID."""
    selected = ["-q", ",".join(map(str, pids))] if pids else []
    try:
        result = subprocess.run(["ps", *ps_args, *selected], capture_output=True, text=True,
                                check=False, timeout=30)
        if result.returncode != 0 and selected:
            result = subprocess.run(["ps", *ps_args], capture_output=True, text=True,
                                    check=False, timeout=30)
    except FileNotFoundError:
        raise RuntimeFailure("top with ps options needs ps on the host: "
                             "apt-get install procps") from None
    if result.returncode != 0:
        message = " ".join(result.stderr.split()) or f"exit status {result.returncode}"
        raise InvalidArgument(f"ps {' '.join(ps_args)}: {message}")
    lines = result.stdout.splitlines()
    if not lines:
        return ProcessTable([], [])
    titles = lines[0].split()
    if "PID" not in titles:
        raise InvalidArgument(f"ps {' '.join(ps_args)}: its output has no PID column; "
                              "add one (e.g. -o pid,comm)")
    column = titles.index("PID")
    wanted = {str(pid) for pid in pids}
    rows = []
    for line in lines[1:]:
        cells = line.split(None, len(titles) - 1)
        if len(cells) > column and cells[column] in wanted:
            rows.append(cells)
    return ProcessTable(titles, rows)


def container_top(record: ContainerRecord, ps_args: list[str]) -> ProcessTable:
    """The container's processes, as ``docker top CONTAINER [ps options]`` shows them."""
    pids = container_pids(record.id, record.pid)
    return _from_ps(pids, ps_args) if ps_args else _from_proc(pids)
