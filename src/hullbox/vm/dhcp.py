"""DHCP for machines on a hullbox network, as libvirt gives its networks:
a dnsmasq (Debian's dnsmasq-base) bound to the network's bridge answers
each running machine's MAC with the address IPAM leased it, and nothing
else: containers on the bridge are configured by hullbox, and an unknown MAC
gets no answer. It serves DHCP only (``--port=0``: no DNS).

One dnsmasq per network and store, started when the first machine on the
network starts, told of every later change by SIGHUP (it reads its hosts
file again), and stopped, its directory removed, when the last one ends.
``sync`` derives all of that from the leases in the store, so calling it
again after any change is always right.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from hullbox.errors import RuntimeFailure
from hullbox.network import ipam
from hullbox.network.ipam import Network
from hullbox.store.store import Store
from hullbox.vm.records import MachineRecords

DNSMASQ = "dnsmasq"
_HOSTNAME = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")


def _base(store: Store) -> Path:
    return store.root / "dhcp"


def directory(store: Store, network_id: str) -> Path:
    """Where a network's dnsmasq keeps its pid, hosts and log files."""
    return _base(store) / network_id[:12]


@contextlib.contextmanager
def _locked(store: Store) -> Iterator[None]:
    """One change at a time: two machines starting at once on one network
    would otherwise both start a dnsmasq."""
    _base(store).mkdir(parents=True, exist_ok=True)
    fd = os.open(_base(store) / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def hosts(store: Store, network: Network) -> list[str]:
    """dnsmasq's ``dhcp-host`` lines: MAC, address, and the machine's name
    when it is a valid host name, for every machine leased on the network."""
    names = {record.id: record.name for record in MachineRecords(store).all()}
    lines = []
    for lease in ipam.leases_on(store, network.id):
        if lease.container_id in names and lease.address and ":" not in lease.address:
            name = names[lease.container_id]
            lines.append(f"{lease.mac},{lease.address}"
                         + (f",{name}" if _HOSTNAME.match(name) else ""))
    return lines


def running_pid(store: Store, network_id: str) -> int:
    """The pid of the network's dnsmasq, or 0."""
    here = directory(store, network_id)
    try:
        pid = int((here / "pid").read_text().strip())
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            cmdline = handle.read()
    except (OSError, ValueError):
        return 0
    return pid if str(here / "hosts").encode() in cmdline else 0


def sync(store: Store, network_id: str) -> None:
    """Serve exactly the machines now leased on the network."""
    with _locked(store):
        network = ipam.find_network(store, network_id)
        wanted = hosts(store, network) if network is not None else []
        here = directory(store, network_id)
        pid = running_pid(store, network_id)
        if not wanted:
            if pid:
                _stop(pid)
            shutil.rmtree(here, ignore_errors=True)
            return
        assert network is not None
        here.mkdir(parents=True, exist_ok=True)
        fresh = here / "hosts.new"
        fresh.write_text("".join(line + "\n" for line in wanted))
        fresh.replace(here / "hosts")
        if pid:
            os.kill(pid, signal.SIGHUP)
        else:
            _start(network, here)


def _stop(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
        time.sleep(0.02)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def argv(network: Network, here: Path) -> list[str]:
    """dnsmasq as a DHCP server on the bridge only, for known MACs only, its
    leases kept in memory (nothing to clean up), running as root so that it
    can read its hosts file again on SIGHUP wherever the store lies."""
    netmask = ipam.int_to_ip(ipam.mask(network.prefix))
    first = network.subnet.partition("/")[0]
    args = [DNSMASQ, "--conf-file=/dev/null", "--port=0", f"--interface={network.bridge}",
            "--bind-interfaces", "--except-interface=lo", f"--dhcp-range={first},static,{netmask}",
            f"--dhcp-hostsfile={here / 'hosts'}", "--dhcp-ignore=tag:!known",
            "--dhcp-authoritative", "--leasefile-ro", f"--pid-file={here / 'pid'}",
            "--user=root", f"--log-facility={here / 'log'}", "--log-dhcp"]
    if network.internal:  # no way out: no default route to offer
        args.append("--dhcp-option=option:router")
    else:
        args.append(f"--dhcp-option=option:router,{network.gateway}")
    return args


def _start(network: Network, here: Path) -> None:
    """dnsmasq forks into the background once it listens, so a failure to
    bind comes back here with its message."""
    try:
        done = subprocess.run(argv(network, here), capture_output=True, text=True,
                              timeout=30, check=False)
    except FileNotFoundError:
        raise RuntimeFailure(f"DHCP for VMs on network {network.name} needs {DNSMASQ}; "
                             "install it with: apt-get install dnsmasq-base") from None
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["exited " + str(done.returncode)])[-1]
        shutil.rmtree(here, ignore_errors=True)
        raise RuntimeFailure(f"DHCP server for network {network.name}: "
                             f"{said.removeprefix('dnsmasq: ')}")
