"""What ``hullbox info`` reports of the host, as ``docker info`` does: the
kernel and OS, the store's filesystem, the runtimes, and what networking has
to work with — with a warning for each thing the kernel or the machine lacks."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

OS_RELEASE = Path("/etc/os-release")
RUNTIMES = ("runc", "crun")  # external OCI runtimes `--runtime` can name


def operating_system() -> str:
    """PRETTY_NAME of /etc/os-release, as docker info prints it."""
    try:
        for line in OS_RELEASE.read_text().splitlines():
            key, _, value = line.partition("=")
            if key == "PRETTY_NAME":
                return value.strip().strip('"')
    except OSError:
        pass
    return "unknown"


def total_memory() -> int:
    """Bytes of RAM (MemTotal)."""
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


def backing_filesystem(path: Path) -> str:
    """The type of the filesystem holding ``path`` (the longest mount point above it)."""
    target = os.path.realpath(path)
    best, fstype = "", "unknown"
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            fields = line.split()
            point = fields[1].replace("\\040", " ")
            inside = target == point or target.startswith(point.rstrip("/") + "/")
            if inside and len(point) >= len(best):
                best, fstype = point, fields[2]
    return fstype


def runtimes() -> list[str]:
    """The built-in runtime first, then external ones found on PATH."""
    return ["hullbox", *(name for name in RUNTIMES if shutil.which(name))]


def nftables_version() -> str | None:
    """``nft --version``'s version, or None when nft is missing or broken."""
    binary = shutil.which("nft")
    if binary is None:
        return None
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True,
                             timeout=5, check=True).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return out[1] if len(out) > 1 else "unknown"


def _sysctl(name: str) -> str | None:
    try:
        return Path("/proc/sys", *name.split(".")).read_text().strip()
    except OSError:
        return None


def network_facts() -> dict[str, Any]:
    """What bridges, NAT and published ports rely on here."""
    return {
        "NFTables": nftables_version() or "",
        "IPv4Forwarding": _sysctl("net.ipv4.ip_forward") == "1",
        "IPv6": os.path.exists("/proc/net/if_inet6"),
        "BridgeNfIptables": _sysctl("net.bridge.bridge-nf-call-iptables"),
    }


def warnings(network: dict[str, Any], security: list[str], userns: str | bool) -> list[str]:
    """One line for each thing that is missing, naming what stops working and the fix."""
    found = []
    if not network["NFTables"]:
        found.append("nft is not installed: published ports and NAT from bridges do not "
                     "work (apt-get install nftables)")
    if not network["IPv6"]:
        found.append("the kernel has no IPv6: --ipv6 networks and [::] ports do not work")
    if not any(option.startswith("name=seccomp") for option in security):
        found.append("seccomp is unavailable (kernel or libseccomp2): containers run "
                     "without a system call filter")
    if userns is not True and userns != "yes":
        found.append(f"user namespaces are unavailable ({userns}): --userns and rootless "
                     "mode do not work")
    return found
