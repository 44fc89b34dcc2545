"""Which nftables entries name a bridge that is gone (network/leftovers.py),
on tables as ``nft -j list table`` prints them."""

from __future__ import annotations

import ipaddress
from typing import Any

from hullbox.network.leftovers import live_subnets, stale_commands


def _rule(bridge: str, net: str, handle: int) -> dict[str, Any]:
    meta = {"meta": {"key": "iifname"}}
    return {"rule": {"family": "ip", "table": "hullbox", "chain": "forward", "handle": handle,
                     "comment": f"hullbox-net:{net}", "expr": [
                         {"match": {"op": "==", "left": meta, "right": bridge}},
                         {"match": {"op": "==", "left": {"meta": {"key": "oifname"}},
                                    "right": "@bridges"}},
                         {"drop": None}]}}


def _port(address: str) -> list[Any]:
    return [{"elem": {"val": {"concat": ["tcp", 8080]}, "comment": "hullbox:c1"}},
            {"concat": [address, 80]}]


TABLE: list[dict[str, Any]] = [
    {"set": {"name": "bridges", "elem": ["hullbox0", "hb-live", "hb-gone"]}},
    {"set": {"name": "subnets", "elem": [{"prefix": {"addr": "10.88.0.0", "len": 16}},
                                         {"prefix": {"addr": "10.89.7.0", "len": 24}}]}},
    {"map": {"name": "ports_any", "elem": [_port("10.88.0.5"), _port("10.89.7.9")]}},
    _rule("hb-live", "aaa", 10), _rule("hb-gone", "bbb", 11),
    {"rule": {"chain": "forward", "handle": 3, "expr": [{"accept": None}]}},
]


def _deleted(commands: list[dict[str, Any]]) -> list[tuple[str, Any]]:
    found = []
    for command in commands:
        (kind, body), = command["delete"].items()
        found.append((kind, body.get("handle", body.get("elem"))))
    return found


def test_only_what_names_a_missing_bridge_or_subnet_goes() -> None:
    live = {"lo", "eth0", "hullbox0", "hb-live"}
    subnets = live_subnets(["10.88.0.0/16", "10.89.1.0/24,fd00:1::/64"])
    commands = stale_commands("ip", TABLE, live, subnets)
    assert _deleted(commands) == [
        ("element", ["hb-gone"]),
        ("element", [{"prefix": {"addr": "10.89.7.0", "len": 24}}]),
        ("element", [{"concat": ["tcp", 8080]}]),
        ("rule", 11),
    ]
    assert all(c["delete"][k]["family"] == "ip" for c in commands for k in c["delete"])


def test_a_table_whose_bridges_all_live_is_left_alone() -> None:
    live = {"hullbox0", "hb-live", "hb-gone"}
    subnets = [ipaddress.ip_network("10.88.0.0/16"), ipaddress.ip_network("10.89.7.0/24")]
    assert stale_commands("ip", TABLE, live, subnets) == []
