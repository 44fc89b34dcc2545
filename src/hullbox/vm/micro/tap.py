"""A microVM on a container's network: the container's network namespace
(made by the engine as for any container: veth eth0 on the network's
bridge, its address, its published ports) gets a tap device for QEMU, and
two tc redirects join them, eth0 -> tap and tap -> eth0 (and so for each
further network's eth1, eth2...).

The guest takes eth0's MAC and address, so the bridge, the address lease
and the port forwards that point at the container reach the guest as they
are; nothing on the host changes. Kata Containers' "tcfilter" mode does the
same. The tap lives in the namespace and goes with it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from hullbox.errors import MachineFailure

#: u32 rather than matchall: kernels built without cls_matchall have it
_EVERY_PACKET = "protocol all u32 match u32 0 0"


def tap_name(index: int) -> str:
    """The tap joined to the container's eth<index>."""
    return f"hbtap{index}"


def _plumbing(index: int) -> str:
    tap, link = tap_name(index), f"eth{index}"
    return f"""set -e
ip tuntap add dev {tap} mode tap
ip link set {tap} up
tc qdisc add dev {link} ingress
tc filter add dev {link} parent ffff: {_EVERY_PACKET} action mirred egress redirect dev {tap}
tc qdisc add dev {tap} ingress
tc filter add dev {tap} parent ffff: {_EVERY_PACKET} action mirred egress redirect dev {link}
ip -o link show dev {link}
"""


def plumb(netns: Path, index: int = 0) -> str:
    """Add the tap of eth<index> and the redirects in ``netns`` (once: a
    restarted container finds them); returns the link's MAC, which the guest takes."""
    tap, link = tap_name(index), f"eth{index}"
    # ip, not /sys/class/net: nsenter --net keeps the host's sysfs
    probe = _in_netns(netns, f"ip -o link show dev {tap} >/dev/null && "
                             f"ip -o link show dev {link}")
    if probe.returncode == 0:
        return _mac_of(probe.stdout)
    result = _in_netns(netns, _plumbing(index))
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["failed"])[-1]
        raise MachineFailure(f"connect the microVM to its network: {detail}")
    return _mac_of(result.stdout)


def _mac_of(link_line: str) -> str:
    """The address after ``link/ether`` in ``ip -o link`` output."""
    words = link_line.split()
    if "link/ether" not in words[:-1]:
        raise MachineFailure(f"connect the microVM to its network: no MAC in {link_line!r}")
    return words[words.index("link/ether") + 1]


def _in_netns(netns: Path, script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["nsenter", f"--net={netns}", "sh", "-c", script],
                          capture_output=True, text=True, check=False)
