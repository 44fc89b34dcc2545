"""A microVM on a container's network: the container's network namespace
(made by the engine as for any container: veth eth0 on the network's
bridge, its address, its published ports) gets a tap device for QEMU, and
two tc redirects join them, eth0 -> tap and tap -> eth0.

The guest takes eth0's MAC and address, so the bridge, the address lease
and the port forwards that point at the container reach the guest as they
are; nothing on the host changes. Kata Containers' "tcfilter" mode does the
same. The tap lives in the namespace and goes with it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from hullbox.errors import MachineFailure

TAP = "hbtap0"
_LINK = "eth0"
#: u32 rather than matchall: kernels built without cls_matchall have it
_EVERY_PACKET = "protocol all u32 match u32 0 0"

_PLUMB = f"""set -e
ip tuntap add dev {TAP} mode tap
ip link set {TAP} up
tc qdisc add dev {_LINK} ingress
tc filter add dev {_LINK} parent ffff: {_EVERY_PACKET} action mirred egress redirect dev {TAP}
tc qdisc add dev {TAP} ingress
tc filter add dev {TAP} parent ffff: {_EVERY_PACKET} action mirred egress redirect dev {_LINK}
cat /sys/class/net/{_LINK}/address
"""


def plumb(netns: Path) -> str:
    """Add the tap and the redirects in ``netns`` (once: a restarted
    container finds them); returns eth0's MAC, which the guest takes."""
    probe = _in_netns(netns, f"[ -e /sys/class/net/{TAP} ] && cat /sys/class/net/{_LINK}/address")
    if probe.returncode == 0:
        return probe.stdout.strip()
    result = _in_netns(netns, _PLUMB)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["failed"])[-1]
        raise MachineFailure(f"connect the microVM to its network: {detail}")
    return result.stdout.strip()


def _in_netns(netns: Path, script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["nsenter", f"--net={netns}", "sh", "-c", script],
                          capture_output=True, text=True, check=False)
