"""What a test store leaves on the host, and its release through
``hullbox system reset``: each test store is reset when its test is done,
and what it made outside its root (bridges, nftables entries, mounts) must
be gone after. Only a store's own things are counted (its bridges carry
its database path in their alias), so other runs on the host cannot fail it.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .conftest import Hullbox


def bridges_of(root: Path) -> dict[str, str]:
    """bridge -> network id, of the bridges the store at ``root`` made."""
    from hullbox.network.bridge import owned_bridges

    db = str(root / "hullbox.db")
    return {name: net for name, net, _subnets, path in owned_bridges() if path == db}


def bridges_under(base: Path) -> list[str]:
    """'bridge (store db)' of every bridge of a store below ``base``."""
    from hullbox.network.bridge import owned_bridges

    prefix = str(base).rstrip("/") + "/"
    return sorted(f"{name} ({path})" for name, _net, _subnets, path in owned_bridges()
                  if path.startswith(prefix))


def mounts_under(root: Path) -> list[str]:
    from hullbox.engine.reset import mounts_under as found

    return [p for p in found(root) if p != os.path.realpath(root)]


def nft_entries(bridges: dict[str, str]) -> list[str]:
    """The nftables rules and set elements that name one of ``bridges``."""
    left = []
    for family in ("ip", "ip6"):
        listed = subprocess.run(["nft", "-j", "list", "table", family, "hullbox"],
                                capture_output=True, check=False)
        if listed.returncode != 0:
            continue
        for item in json.loads(listed.stdout).get("nftables", []):
            rule, found = item.get("rule"), item.get("set")
            comment = (rule or {}).get("comment", "")
            if comment.startswith("hullbox-net:") and comment[12:] in bridges.values():
                left.append(f"{family} rule {comment}")
            if found and found.get("name") == "bridges":
                left += [f"{family} bridges element {e}" for e in found.get("elem") or []
                         if e in bridges]
    return left


def release(store: Hullbox) -> list[str]:
    """Reset the store with hullbox itself; what is left of it after (empty
    when the reset cleaned up everything)."""
    if not (store.root / "hullbox.db").exists():
        return []
    bridges = bridges_of(store.root)
    result = store("system", "reset", "--force", timeout=120)
    problems = [] if result.returncode == 0 else [
        f"hullbox system reset exited {result.returncode}: {result.stderr.strip()}"]
    problems += [f"bridge {name} still exists" for name in bridges_of(store.root)]
    problems += nft_entries(bridges)
    problems += [f"still mounted: {point}" for point in mounts_under(store.root)]
    if store.root.is_dir() and any(store.root.iterdir()):
        problems.append(f"{store.root} is not empty: {sorted(os.listdir(store.root))}")
    return problems
