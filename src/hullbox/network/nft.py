"""hullbox's nftables table (``ip hullbox``), spoken to through ``nft -j``.

One table for the host, shared by every store:

- maps ``ports_any`` (proto . port -> address . port, for ports published on
  every host address) and ``ports_ip`` (host address . proto . port -> ...),
  looked up by DNAT rules in the prerouting (traffic from outside and from
  containers) and output (traffic from the host itself) hooks. A published
  port is one map element whose comment names its container, so it is added
  and removed by key, atomically, and a key taken twice is refused;
- sets ``bridges`` and ``subnets``: masquerade for traffic leaving a subnet
  for elsewhere, for hairpin (a container reaching a published port on its
  own bridge) and for the host reaching 127.0.0.1:PORT (with route_localnet
  on the bridge: bridge.py);
- one forward rule per network, commented ``hullbox-net:ID``: traffic from
  its bridge to another hullbox bridge is dropped (isolation), unless a
  published port sent it there (DNAT).
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from hullbox.errors import RuntimeFailure

TABLE = "hullbox"
FAMILY = "ip"
NFT = "nft"


def run(commands: list[dict[str, Any]], what: str) -> None:
    """Apply a batch of JSON commands atomically (all or none)."""
    payload = json.dumps({"nftables": commands})
    try:
        result = subprocess.run([NFT, "-j", "-f", "-"], input=payload.encode(),
                                capture_output=True, check=False)
    except FileNotFoundError:
        raise RuntimeFailure(
            f"{what}: nft is not installed; install Debian's nftables package"
        ) from None
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeFailure(f"{what}: nft: {detail[0] if detail else 'failed'}")


def list_table() -> list[dict[str, Any]] | None:
    """The objects of the table, or None when it does not exist."""
    try:
        result = subprocess.run([NFT, "-j", "list", "table", FAMILY, TABLE],
                                capture_output=True, check=False)
    except FileNotFoundError:
        return None
    if result.returncode != 0:
        return None
    return list(json.loads(result.stdout).get("nftables", []))


def _obj(kind: str, **fields: Any) -> dict[str, Any]:
    return {kind: {"family": FAMILY, "table": TABLE, **fields}}


def _match(left: Any, right: Any, op: str = "==") -> dict[str, Any]:
    return {"match": {"op": op, "left": left, "right": right}}


_SADDR = {"payload": {"protocol": "ip", "field": "saddr"}}
_OIF = {"meta": {"key": "oifname"}}
_IIF = {"meta": {"key": "iifname"}}


def _rule(chain: str, *expr: dict[str, Any], comment: str | None = None) -> dict[str, Any]:
    fields: dict[str, Any] = {"chain": chain, "expr": list(expr)}
    if comment:
        fields["comment"] = comment
    return {"add": _obj("rule", **fields)}


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


def ensure_base() -> None:
    """Create the table when it is missing, in one transaction (hold the
    host network lock)."""
    if list_table() is not None:
        return
    try:
        result = subprocess.run([NFT, "-f", "-"], input=BASE_SCRIPT.encode(),
                                capture_output=True, check=False)
    except FileNotFoundError:
        raise RuntimeFailure("create nftables table ip hullbox: nft is not installed; "
                             "install Debian's nftables package") from None
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeFailure("create nftables table ip hullbox: nft: "
                             f"{detail[0] if detail else 'failed'}")


def network_commands(network_id: str, bridge: str, subnet: str) -> list[dict[str, Any]]:
    """What one network adds: its bridge and subnet in the sets, its isolation rule."""
    addr, _, length = subnet.partition("/")
    return [
        {"add": _obj("element", name="bridges", elem=[bridge])},
        {"add": _obj("element", name="subnets",
                     elem=[{"prefix": {"addr": addr, "len": int(length)}}])},
        _rule("forward", _match(_IIF, bridge), _match(_OIF, bridge, "!="),
              _match(_OIF, "@bridges"), {"drop": None}, comment=f"hullbox-net:{network_id}"),
    ]


def remove_network(network_id: str, bridge: str, subnet: str) -> None:
    """Undo network_commands; whatever is already gone is skipped."""
    objects = list_table()
    if objects is None:
        return
    commands: list[dict[str, Any]] = []
    for item in objects:
        rule = item.get("rule")
        if rule and rule.get("comment") == f"hullbox-net:{network_id}":
            commands.append({"delete": _obj("rule", chain=rule["chain"],
                                            handle=rule["handle"])})
        found = item.get("set")
        if found and found.get("name") == "bridges" and bridge in (found.get("elem") or []):
            commands.append({"delete": _obj("element", name="bridges", elem=[bridge])})
        if found and found.get("name") == "subnets":
            addr, _, length = subnet.partition("/")
            prefix = {"prefix": {"addr": addr, "len": int(length)}}
            if prefix in (found.get("elem") or []):
                commands.append({"delete": _obj("element", name="subnets", elem=[prefix])})
    if commands:
        run(commands, f"remove the nftables rules of network {network_id[:12]}")


def port_key(proto: str, host_ip: str, host_port: int) -> tuple[str, list[Any]]:
    """The map and key of one published port."""
    if host_ip == "0.0.0.0":
        return "ports_any", [proto, host_port]
    return "ports_ip", [host_ip, proto, host_port]


def add_ports(entries: list[tuple[str, str, int, str, int]], tag: str, what: str) -> None:
    """Publish (proto, host_ip, host_port, container_ip, container_port) entries,
    each element commented ``tag``; a key already present fails the whole batch."""
    commands = []
    for proto, host_ip, host_port, container_ip, container_port in entries:
        mapname, key = port_key(proto, host_ip, host_port)
        elem = [{"elem": {"val": {"concat": key}, "comment": tag}},
                {"concat": [container_ip, container_port]}]
        commands.append({"add": _obj("element", name=mapname, elem=[elem])})
    if commands:
        run(commands, what)


def tagged_port_keys(tag: str) -> list[tuple[str, list[Any]]]:
    """(map, key) of the port elements whose comment is ``tag``."""
    found: list[tuple[str, list[Any]]] = []
    for item in list_table() or []:
        mapping = item.get("map")
        if not mapping or mapping.get("name") not in ("ports_any", "ports_ip"):
            continue
        for elem in mapping.get("elem") or []:
            head = elem[0].get("elem", {}) if isinstance(elem, list) else {}
            if head.get("comment") == tag:
                found.append((mapping["name"], head["val"]["concat"]))
    return found


def delete_ports(keys: list[tuple[str, list[Any]]], tag: str, what: str) -> None:
    """Remove port elements by key; when some are gone already (a cleanup cut
    short), remove those still tagged ``tag``."""
    if not keys:
        return
    try:
        run([{"delete": _obj("element", name=m, elem=[{"concat": k}])} for m, k in keys], what)
    except RuntimeFailure:
        present = tagged_port_keys(tag)
        if present:
            run([{"delete": _obj("element", name=m, elem=[{"concat": k}])}
                 for m, k in present], what)
