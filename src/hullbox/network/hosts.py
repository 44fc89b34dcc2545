"""Name resolution between containers: per-container /etc/hosts files.

On a user-defined network every running container's hosts file lists the
other containers on its networks by name, alias and short ID; the files are
rewritten whenever a container joins or leaves (``engine/networking.py``).
A hosts file rather than an embedded DNS server: nothing has to run beside
each container, and every libc resolves through /etc/hosts. The default
bridge has no name resolution, as in Docker.
"""

from __future__ import annotations

import os
from pathlib import Path

_HEADER = (
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n"
)


def render(hostname: str, own_address: str, peers: list[tuple[str, list[str]]],
           extra: list[tuple[str, str]], own_address6: str = "") -> str:
    """The file: localhost, ``--add-host`` entries, the container itself,
    then its peers (address, names); a name gets one address per family."""
    lines = [_HEADER]
    lines.extend(f"{address}\t{name}\n" for name, address in extra)
    lines.append(f"{own_address or '127.0.1.1'}\t{hostname}\n")
    if own_address6:
        lines.append(f"{own_address6}\t{hostname}\n")
    seen = {(hostname, False), (hostname, True)}
    for address, names in peers:
        family = ":" in address
        fresh = [n for n in names if n and (n, family) not in seen]
        seen.update((n, family) for n in fresh)
        if fresh:
            lines.append(f"{address}\t{' '.join(fresh)}\n")
    return "".join(lines)


def parse_add_host(value: str) -> tuple[str, str]:
    """``--add-host name:address`` (or ``name=address``) -> (name, address)."""
    for sep in ("=", ":"):
        name, found, address = value.partition(sep)
        if found and name and address:
            return name, address
    raise ValueError(value)


def write_in_place(path: Path, content: str) -> None:
    """Overwrite the file without replacing it: a running container sees it
    through a bind mount of this very inode, which a rename would orphan."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        os.write(fd, content.encode())
    finally:
        os.close(fd)


def resolv_conf(base: str, dns: list[str], search: list[str], options: list[str]) -> str:
    """``base`` (the host's resolv.conf, loopback servers dropped) with the
    ``--dns``, ``--dns-search`` and ``--dns-option`` values in place of its own;
    Google's resolvers when no server is left, as Docker does."""
    lines = base.splitlines()
    servers = dns or [line.split()[1] for line in lines
                      if line.startswith("nameserver") and len(line.split()) > 1]
    if not servers:
        servers = ["8.8.8.8", "8.8.4.4"]
    kept = [line for line in lines if not line.startswith(("nameserver", "search", "domain",
                                                           "options"))]
    if not search:
        search = [w for line in lines if line.startswith(("search", "domain"))
                  for w in line.split()[1:]]
    if not options:
        options = [w for line in lines if line.startswith("options") for w in line.split()[1:]]
    out = [line for line in kept if line.strip()]
    out.extend(f"nameserver {server}" for server in servers)
    if search:
        out.append("search " + " ".join(search))
    if options:
        out.append("options " + " ".join(options))
    return "\n".join(out) + "\n"
