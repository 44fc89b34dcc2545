"""The lines of a run's script (script.py) that set the guest up before
its command: the networks' addresses, the volume and tmpfs mounts, and the
command's rlimits. Every value from the user is quoted."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hullbox.vm.micro.script import GuestCommand, GuestNet

ROOT = "/newroot"


def _q(value: str) -> str:
    return shlex.quote(value)


#: ash's ulimit flag and unit (bytes per unit) for each rlimit Docker takes
_ULIMIT_FLAGS = {"RLIMIT_CORE": ("c", 512), "RLIMIT_FSIZE": ("f", 512),
                 "RLIMIT_DATA": ("d", 1024), "RLIMIT_STACK": ("s", 1024),
                 "RLIMIT_AS": ("v", 1024), "RLIMIT_MEMLOCK": ("l", 1024),
                 "RLIMIT_RSS": ("m", 1024), "RLIMIT_NOFILE": ("n", 1),
                 "RLIMIT_NPROC": ("u", 1), "RLIMIT_CPU": ("t", 1), "RLIMIT_NICE": ("e", 1),
                 "RLIMIT_RTPRIO": ("r", 1), "RLIMIT_MSGQUEUE": ("q", 1),
                 "RLIMIT_SIGPENDING": ("i", 1), "RLIMIT_LOCKS": ("x", 1)}


def ulimits(command: GuestCommand) -> str:
    """--ulimit through ash's builtin, in the command's subshell: the hard
    limit, the soft, and the hard again (which goes first depends on
    whether it rises or falls)."""
    parts = []
    for name, soft, hard in command.rlimits:
        if name not in _ULIMIT_FLAGS:
            continue
        flag, unit = _ULIMIT_FLAGS[name]

        def value(limit: int, unit: int = unit) -> str:
            return "unlimited" if limit < 0 or limit >= 1 << 63 else str(limit // unit)

        parts.append(f"ulimit -H -{flag} {value(hard)} 2>/dev/null; "
                     f"ulimit -S -{flag} {value(soft)}; ulimit -H -{flag} {value(hard)}; ")
    return "".join(parts)


def mounts(command: GuestCommand) -> list[str]:
    """Volumes (their shares or disks, by slot) and --tmpfs mounts, at their
    destinations under the root, parents first."""
    from hullbox.vm.micro.shares import mount_command

    if command.shares:
        names = list(command.share_files) + [""] * len(command.volumes)
        mounts = [(destination, mount_command(slot, ROOT + destination, readonly, names[slot]))
                  for slot, (destination, readonly) in enumerate(command.volumes)]
    else:
        mounts = [(destination, f"bind_blk vol{slot} && mkdir -p {_q(ROOT + destination)} && "
                                f"mount -t ext4 -o noatime{',ro' if readonly else ''} "
                                f"/dev/hullbox-vol{slot} {_q(ROOT + destination)}")
                  for slot, (destination, readonly) in enumerate(command.volumes)]
    mounts += [(destination, f"mkdir -p {_q(ROOT + destination)} && "
                             f"mount -t tmpfs -o {_q(options or 'mode=1777')} tmpfs "
                             f"{_q(ROOT + destination)}")
               for destination, options in command.tmpfs]
    return [f"[ $code = 0 ] && {{ {mount} 2>&5 || "
            f"fail {_q(f'cannot mount {destination} in the microVM')}; }}"
            for destination, mount in sorted(mounts, key=lambda item: item[0].count("/"))]


def network(nets: Sequence[GuestNet]) -> list[str]:
    last = f"eth{len(nets) - 1}"
    lines = [
        "waited=0",
        f"until [ -e /sys/class/net/{last} ] || [ $waited = 5000 ]; do usleep 1000; "
        "waited=$((waited+1)); done",
        "ip link set lo up",
    ]
    # Each NIC's interface is the one with its template MAC; the guest named
    # them in its own probe order, so they are renamed if that differs.
    renamed = len(nets) > 1 and all(net.template_mac for net in nets)
    for index, net in enumerate(nets if renamed else ()):
        if net.template_mac:
            lines.append(f"for dev in /sys/class/net/eth*; do read -r mac <$dev/address; "
                         f"[ $mac = {_q(net.template_mac)} ] && nic{index}=${{dev##*/}}; done")
    if renamed:
        moves = [f"ip link set $nic{index} name hbnic{index}" for index in range(len(nets))]
        moves += [f"ip link set hbnic{index} name eth{index}" for index in range(len(nets))]
        mismatch = " || ".join(f"[ \"$nic{index}\" != eth{index} ]" for index in range(len(nets)))
        lines.append(f"if {mismatch}; then {'; '.join(moves)}; fi")
    for index, net in enumerate(nets):
        link = f"eth{index}"
        lines += [
            # the saved device state carries the template's MAC: take the container's
            *([f"ip link set {link} address {_q(net.mac)}"] if net.mac else []),
            f"ip addr add {_q(net.address)} dev {link}",
            f"ip link set {link} up",
            *([f"ip route add default via {_q(net.gateway)}"] if net.gateway else []),
        ]
    return lines
