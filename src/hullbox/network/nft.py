"""hullbox's nftables tables (``ip hullbox``, and ``ip6 hullbox`` once an
IPv6 network exists), spoken to through ``nft -j``.

One table per family for the host, shared by every store, the same in both:

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
  published port sent it there (DNAT). An ``--internal`` network has two
  more, ahead of everything: nothing enters or leaves its bridge but to
  the bridge itself (as Docker's internal networks).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from typing import Any

from hullbox.errors import RuntimeFailure
from hullbox.network.nft_base import ensure_base

__all__ = ["ensure_base"]

TABLE = "hullbox"
FAMILY = "ip"
FAMILY6 = "ip6"
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


def list_table(family: str = FAMILY) -> list[dict[str, Any]] | None:
    """The objects of the table, or None when it does not exist."""
    try:
        result = subprocess.run([NFT, "-j", "list", "table", family, TABLE],
                                capture_output=True, check=False)
    except FileNotFoundError:
        return None
    if result.returncode != 0:
        return None
    return list(json.loads(result.stdout).get("nftables", []))


def _obj(kind: str, family: str = FAMILY, **fields: Any) -> dict[str, Any]:
    return {kind: {"family": family, "table": TABLE, **fields}}


def _match(left: Any, right: Any, op: str = "==") -> dict[str, Any]:
    return {"match": {"op": op, "left": left, "right": right}}


_OIF = {"meta": {"key": "oifname"}}
_IIF = {"meta": {"key": "iifname"}}


def _rule(family: str, chain: str, *expr: dict[str, Any], comment: str | None = None,
          verb: str = "add") -> dict[str, Any]:
    fields: dict[str, Any] = {"chain": chain, "expr": list(expr)}
    if comment:
        fields["comment"] = comment
    return {verb: _obj("rule", family, **fields)}


def family_of(address: str) -> str:
    return FAMILY6 if ":" in address else FAMILY


def _prefix(subnet: str) -> dict[str, Any]:
    addr, _, length = subnet.partition("/")
    return {"prefix": {"addr": addr, "len": int(length)}}


def network_commands(network_id: str, bridge: str, subnet: str, *,
                     internal: bool = False, masquerade: bool = True) -> list[dict[str, Any]]:
    """What one network adds to the table of its subnet's family: its bridge
    and subnet in the sets, its isolation rule (and internal's fence); with
    ``masquerade`` off (-o ...enable_ip_masquerade=false), a rule ahead of
    the masquerade that lets its traffic out with the containers' own
    addresses."""
    family, comment = family_of(subnet), f"hullbox-net:{network_id}"
    commands = [
        {"add": _obj("element", family, name="bridges", elem=[bridge])},
        {"add": _obj("element", family, name="subnets", elem=[_prefix(subnet)])},
        _rule(family, "forward", _match(_IIF, bridge), _match(_OIF, bridge, "!="),
              _match(_OIF, "@bridges"), {"drop": None}, comment=comment),
    ]
    if not masquerade:
        saddr = {"payload": {"protocol": family, "field": "saddr"}}
        commands.append(_rule(family, "postrouting", _match(saddr, _prefix(subnet)),
                              _match(_OIF, "@bridges", "!="), {"accept": None},
                              comment=comment, verb="insert"))
    if internal:
        commands += [_rule(family, "forward", _match(_IIF, bridge), _match(_OIF, bridge, "!="),
                           {"drop": None}, comment=comment, verb="insert"),
                     _rule(family, "forward", _match(_OIF, bridge), _match(_IIF, bridge, "!="),
                           {"drop": None}, comment=comment, verb="insert")]
    return commands


def remove_network(network_id: str, bridge: str, subnet: str) -> None:
    """Undo network_commands; whatever is already gone is skipped."""
    family = family_of(subnet)
    objects = list_table(family)
    if objects is None:
        return
    commands: list[dict[str, Any]] = []
    for item in objects:
        rule = item.get("rule")
        if rule and rule.get("comment") == f"hullbox-net:{network_id}":
            commands.append({"delete": _obj("rule", family, chain=rule["chain"],
                                            handle=rule["handle"])})
        found = item.get("set")
        if found and found.get("name") == "bridges" and bridge in (found.get("elem") or []):
            commands.append({"delete": _obj("element", family, name="bridges", elem=[bridge])})
        if found and found.get("name") == "subnets" and _prefix(subnet) in (
                found.get("elem") or []):
            commands.append({"delete": _obj("element", family, name="subnets",
                                            elem=[_prefix(subnet)])})
    if commands:
        run(commands, f"remove the nftables rules of network {network_id[:12]}")


PortKey = tuple[str, str, list[Any]]  # family, map, key


def port_key(proto: str, host_ip: str, host_port: int) -> PortKey:
    """The table family, map and key of one published port."""
    if host_ip in ("0.0.0.0", "::"):
        return family_of(host_ip), "ports_any", [proto, host_port]
    return family_of(host_ip), "ports_ip", [host_ip, proto, host_port]


def add_ports(entries: list[tuple[str, str, int, str, int]], tag: str, what: str) -> None:
    """Publish (proto, host_ip, host_port, container_ip, container_port) entries,
    each element commented ``tag``; a key already present fails the whole batch."""
    commands = []
    for proto, host_ip, host_port, container_ip, container_port in entries:
        family, mapname, key = port_key(proto, host_ip, host_port)
        elem = [{"elem": {"val": {"concat": key}, "comment": tag}},
                {"concat": [container_ip, container_port]}]
        commands.append({"add": _obj("element", family, name=mapname, elem=[elem])})
    if not commands:
        return
    try:
        run(commands, what)
    except RuntimeFailure as exc:
        if "File exists" not in str(exc):
            raise
        # The caller holds each host port's socket, so no running container
        # owns these keys: an element already there was left by a container
        # whose cleanup never ran (its keeper killed). Drop it and try again.
        for proto, host_ip, host_port, _ip, _port in entries:
            with contextlib.suppress(RuntimeFailure):
                run(_delete([port_key(proto, host_ip, host_port)]), what)
        run(commands, what)


def tagged_port_keys(tag: str) -> list[PortKey]:
    """(family, map, key) of the port elements whose comment is ``tag``."""
    found: list[PortKey] = []
    for family in (FAMILY, FAMILY6):
        for item in list_table(family) or []:
            mapping = item.get("map")
            if not mapping or mapping.get("name") not in ("ports_any", "ports_ip"):
                continue
            for elem in mapping.get("elem") or []:
                head = elem[0].get("elem", {}) if isinstance(elem, list) else {}
                if head.get("comment") == tag:
                    found.append((family, mapping["name"], head["val"]["concat"]))
    return found


def _delete(keys: list[PortKey]) -> list[dict[str, Any]]:
    return [{"delete": _obj("element", f, name=m, elem=[{"concat": k}])} for f, m, k in keys]


def delete_ports(keys: list[PortKey], tag: str, what: str) -> None:
    """Remove port elements by key; when some are gone already (a cleanup cut
    short), remove those still tagged ``tag``."""
    if not keys:
        return
    try:
        run(_delete(keys), what)
    except RuntimeFailure:
        present = tagged_port_keys(tag)
        if present:
            run(_delete(present), what)
