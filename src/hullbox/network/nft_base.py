"""The base of hullbox's nftables tables, one per family, made once per
host: the sets and maps the per-network and per-container elements go in,
and the chains that use them (see nft.py)."""

from __future__ import annotations

import subprocess

from hullbox.errors import RuntimeFailure

FAMILY6 = "ip6"
NFT = "nft"


# The base table in nft's own syntax: nft 1.0.6 (Debian 12) cannot declare a
# map with concatenated data in JSON, and crashes on the DNAT-by-map statement.
# Everything that changes later (elements, per-network rules) is JSON.
BASE_SCRIPT = """
table ip hullbox {
  set bridges { type ifname; }
  set subnets { type ipv4_addr; flags interval; }
  map ports_any { type inet_proto . inet_service : ipv4_addr . inet_service; }
  map ports_ip { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
  chain prerouting {
    type nat hook prerouting priority -100; policy accept;
    dnat ip to ip daddr . meta l4proto . th dport map @ports_ip
    fib daddr type local dnat ip to meta l4proto . th dport map @ports_any
  }
  chain output {
    type nat hook output priority -100; policy accept;
    dnat ip to ip daddr . meta l4proto . th dport map @ports_ip
    fib daddr type local dnat ip to meta l4proto . th dport map @ports_any
  }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    oifname @bridges ip saddr 127.0.0.0/8 masquerade
    oifname @bridges ct status dnat ip saddr @subnets masquerade
    ip saddr @subnets oifname != @bridges masquerade
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    ct status dnat accept
  }
}
"""

# IPv6: no route_localnet, so [::1] cannot be DNATed out of the host (the
# kernel drops a loopback source on any other link): ports published on
# [::1] go through a relay (relay.py), and ::1 is kept out of ports_any.
BASE_SCRIPT6 = """
table ip6 hullbox {
  set bridges { type ifname; }
  set subnets { type ipv6_addr; flags interval; }
  map ports_any { type inet_proto . inet_service : ipv6_addr . inet_service; }
  map ports_ip { type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service; }
  chain prerouting {
    type nat hook prerouting priority -100; policy accept;
    dnat ip6 to ip6 daddr . meta l4proto . th dport map @ports_ip
    fib daddr type local dnat ip6 to meta l4proto . th dport map @ports_any
  }
  chain output {
    type nat hook output priority -100; policy accept;
    dnat ip6 to ip6 daddr . meta l4proto . th dport map @ports_ip
    ip6 daddr != ::1 fib daddr type local dnat ip6 to meta l4proto . th dport map @ports_any
  }
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    oifname @bridges ct status dnat ip6 saddr @subnets masquerade
    ip6 saddr @subnets oifname != @bridges masquerade
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    ct status dnat accept
  }
}
"""


def ensure_base(family: str = "ip") -> None:
    """Create the family's table when it is missing, in one transaction
    (hold the host network lock)."""
    script = BASE_SCRIPT6 if family == FAMILY6 else BASE_SCRIPT
    what = f"create nftables table {family} hullbox"
    try:
        if subprocess.run([NFT, "list", "table", family, "hullbox"], capture_output=True,
                          check=False).returncode == 0:
            return
        result = subprocess.run([NFT, "-f", "-"], input=script.encode(),
                                capture_output=True, check=False)
    except FileNotFoundError:
        raise RuntimeFailure(f"{what}: nft is not installed; "
                             "install Debian's nftables package") from None
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeFailure(f"{what}: nft: {detail[0] if detail else 'failed'}")


