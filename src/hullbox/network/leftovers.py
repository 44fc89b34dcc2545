"""nftables elements and rules whose bridge is gone.

Under the host network lock a network's bridge and its nftables entries come
and go together (bridge.py), so an entry naming a bridge that does not exist
was left by a bridge deleted behind hullbox's back (``ip link del``, a store
root deleted by hand and its bridges swept by another tool) or a cleanup cut
short. They are harmless to traffic but pile up; ``network prune`` and the
first network use of a store drop them. A bridge that exists is never
touched here, whichever store owns it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from hullbox.network import nft

Subnet = ipaddress.IPv4Network | ipaddress.IPv6Network


def stale_commands(family: str, objects: list[dict[str, Any]], live_links: set[str],
                   live_subnets: list[Subnet]) -> list[dict[str, Any]]:
    """Deletions for what in one family's table names no live bridge: the
    per-network rules, ``bridges`` and ``subnets`` elements, and published
    ports whose container address lies in no live bridge's subnet."""
    commands: list[dict[str, Any]] = []

    def delete(kind: str, **fields: Any) -> None:
        commands.append({"delete": {kind: {"family": family, "table": nft.TABLE, **fields}}})

    for item in objects:
        rule, found, mapping = item.get("rule"), item.get("set"), item.get("map")
        if rule and str(rule.get("comment", "")).startswith("hullbox-net:"):
            named = _interfaces(rule.get("expr") or [])
            if named and not named & live_links:
                delete("rule", chain=rule["chain"], handle=rule["handle"])
        elif found and found.get("name") == "bridges":
            for name in found.get("elem") or []:
                if isinstance(name, str) and name not in live_links:
                    delete("element", name="bridges", elem=[name])
        elif found and found.get("name") == "subnets":
            for elem in found.get("elem") or []:
                subnet = _subnet(elem)
                if subnet is not None and subnet not in live_subnets:
                    delete("element", name="subnets", elem=[elem])
        elif mapping and mapping.get("name") in ("ports_any", "ports_ip"):
            for elem in mapping.get("elem") or []:
                if not _reaches(elem, live_subnets):
                    key = elem[0]["elem"]["val"]
                    delete("element", name=mapping["name"], elem=[key])
    return commands


def _interfaces(expr: list[dict[str, Any]]) -> set[str]:
    """The interface names a rule matches on (not the sets it looks up)."""
    names = set()
    for step in expr:
        match = step.get("match") or {}
        key = (match.get("left") or {}).get("meta", {}).get("key") if isinstance(
            match.get("left"), dict) else None
        right = match.get("right")
        if key in ("iifname", "oifname") and isinstance(right, str) and not right.startswith("@"):
            names.add(right)
    return names


def _subnet(elem: Any) -> Subnet | None:
    if not isinstance(elem, dict) or "prefix" not in elem:
        return None
    try:
        return ipaddress.ip_network(f"{elem['prefix']['addr']}/{elem['prefix']['len']}")
    except (KeyError, ValueError):
        return None


def _reaches(elem: Any, live_subnets: list[Subnet]) -> bool:
    """True when a port element's container address is on a live bridge
    (or the element is not of the shape hullbox writes: then it is kept)."""
    try:
        address = ipaddress.ip_address(elem[1]["concat"][0])
        elem[0]["elem"]["val"]
    except (KeyError, IndexError, TypeError, ValueError):
        return True
    return any(address in subnet for subnet in live_subnets)


def live_subnets(aliases: list[str]) -> list[Subnet]:
    """The subnets the live bridges' aliases name (``a,b`` each)."""
    found: list[Subnet] = []
    for joined in aliases:
        for text in joined.split(","):
            try:
                found.append(ipaddress.ip_network(text))
            except ValueError:
                continue
    return found


def sweep(live_links: set[str], subnet_lists: list[str],
          routed: Callable[[str], bool]) -> None:
    """Delete what ``stale_commands`` finds, in each family's table, one
    batch a family (call with the host network lock held). ``live_links``:
    every interface of the host; ``subnet_lists``: the subnets of the live
    hullbox bridges' aliases; a subnet that a host route reaches (``routed``)
    is kept too, whoever made it."""
    subnets = live_subnets(subnet_lists)
    for family in (nft.FAMILY, nft.FAMILY6):
        objects = nft.list_table(family)
        if not objects:
            continue
        listed = [_subnet(elem) for item in objects if (item.get("set") or {}).get("name")
                  == "subnets" for elem in item["set"].get("elem") or []]
        kept = subnets + [s for s in listed if s is not None and s not in subnets
                          and routed(str(s))]
        commands = stale_commands(family, objects, live_links, kept)
        if commands:
            nft.run(commands, f"remove stale nftables entries of table {family} hullbox")
