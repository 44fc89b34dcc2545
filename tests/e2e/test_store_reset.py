"""``hullbox system reset`` and stores that go away: what a store made on
the host (bridges, nftables entries, mounts) leaves with it, and a bridge of
a store that still exists is never taken.

Each test makes stores of its own; bridges are told apart by the store
database their alias names (tests/e2e/storecheck.py), so other runs on the
host do not count.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Hullbox
from .netkit import nft_tagged
from .storecheck import bridges_of, mounts_under, nft_entries

pytestmark = [pytest.mark.root, pytest.mark.network]

NewStore = Callable[[str], Hullbox]


@pytest.fixture(autouse=True)
def _needs_nft() -> None:
    if shutil.which("nft") is None:
        pytest.skip("nft is not installed (apt-get install nftables)")


def _store(new_store: NewStore, name: str, busybox_tar: Path) -> Hullbox:
    store = new_store(name)
    store.ok("import", str(busybox_tar), "busybox:latest")
    return store


def test_system_reset_removes_everything_the_store_made(new_store: NewStore,
                                                         busybox_tar: Path) -> None:
    store = _store(new_store, "store", busybox_tar)
    store.ok("network", "create", "resetnet")
    store.ok("volume", "create", "resetvol")
    web = store.ok("run", "-d", "--network", "resetnet", "-v", "resetvol:/data",
                   "-p", "127.0.0.1::80", "busybox", "sleep", "300").strip()
    store.ok("run", "-d", "busybox", "sleep", "300")
    bridges = bridges_of(store.root)
    assert len(bridges) == 2 and nft_entries(bridges) and nft_tagged(web) == 1
    assert len(mounts_under(store.root)) == 2  # the two rootfs overlays

    asked = store("system", "reset", input=b"n\n")
    assert asked.returncode != 0 and "cancelled" in asked.stderr
    assert len(store.ok("ps", "-q").split()) == 2  # nothing went

    out = store.ok("system", "reset", "--force")
    assert out.strip() == "Removed 2 containers, 0 VMs, 2 networks, 1 volume, 1 image"
    assert bridges_of(store.root) == {}
    assert nft_entries(bridges) == [] and nft_tagged(web) == 0
    assert mounts_under(store.root) == [] and list(store.root.iterdir()) == []
    # The root is a new, empty store at once.
    assert store.ok("ps", "-a", "-q") == "" and store.ok("images", "-q") == ""
    assert store.ok("network", "ls", "--format", "{{.Name}}").split() == ["bridge"]


def test_bridges_of_a_store_deleted_by_hand_go_but_not_a_live_stores(
        new_store: NewStore) -> None:
    gone, alive, other = new_store("gone"), new_store("alive"), new_store("other")
    gone.ok("network", "create", "gonenet")
    alive.ok("network", "create", "alivenet")
    gone_bridges, alive_bridges = bridges_of(gone.root), bridges_of(alive.root)
    assert len(gone_bridges) == 1 and len(alive_bridges) == 1

    shutil.rmtree(gone.root)  # what a user does by hand
    assert other("network", "prune", "-f").returncode == 0
    assert not any((Path("/sys/class/net") / name).exists() for name in gone_bridges)
    assert nft_entries(gone_bridges) == []
    assert bridges_of(alive.root) == alive_bridges  # its store still exists
    assert len(nft_entries(alive_bridges)) == 2  # its rule and bridges element


def test_nft_entries_of_a_bridge_deleted_by_hand_go_and_the_network_comes_back(
        new_store: NewStore, busybox_tar: Path) -> None:
    store, other = _store(new_store, "store", busybox_tar), new_store("other")
    store.ok("network", "create", "lostnet")
    bridges = bridges_of(store.root)
    (name,) = bridges
    subprocess.run(["ip", "link", "del", name], check=True)
    assert len(nft_entries(bridges)) == 2  # left behind: nothing names them now

    other.ok("network", "prune", "-f")
    assert nft_entries(bridges) == []
    # The network is still the store's: its next use makes the bridge and
    # its rules again.
    out = store.ok("run", "--rm", "--network", "lostnet", "busybox", "ip", "-4", "-o", "addr")
    assert "eth0" in out and bridges_of(store.root) == bridges
    assert len(nft_entries(bridges)) == 2
