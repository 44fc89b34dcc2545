"""A subnet is chosen free of the host's interface addresses, not only of its
routes: a bridge that is down (or still being made by another store) has an
address but no route. Checked in a network namespace of the test's own."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hullbox.linux import netns
from hullbox.linux.netlink import Netlink, link_index
from hullbox.network import bridge

pytestmark = [pytest.mark.root, pytest.mark.network]


@pytest.fixture
def namespace(tmp_path: Path) -> Iterator[str]:
    if os.geteuid() != 0:
        pytest.skip("needs root: network namespaces")
    path = str(tmp_path / "ns")
    netns.create(path)
    yield path
    netns.remove(path)


def test_an_address_on_a_down_bridge_keeps_its_subnet_from_being_chosen(
        namespace: str) -> None:
    with netns.entered(namespace):
        first = bridge.choose_subnet([], default=False)
        with Netlink() as nl:
            nl.add_bridge("hbdown0")
            gateway = first.replace(".0/24", ".1")
            nl.add_address(link_index("hbdown0"), gateway, 24)  # left down: no route
            assert (gateway, 24, link_index("hbdown0")) in nl.ipv4_addresses()
        assert not [r for r in bridge.host_routes() if r[2] == "hbdown0"]
        second = bridge.choose_subnet([], default=False)
    assert second != first


def test_a_subnet_the_store_holds_is_not_chosen(namespace: str) -> None:
    with netns.entered(namespace):
        first = bridge.choose_subnet([], default=False)
        assert bridge.choose_subnet([first], default=False) != first


def test_the_host_lock_is_taken_again_by_its_holder_but_not_by_another_thread() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root: /run/hullbox")
    entered = threading.Event()

    def other() -> None:
        with bridge.host_lock():
            entered.set()

    with bridge.host_lock():
        with bridge.host_lock():  # ensure_bridge under network create's hold
            pass
        waiting = threading.Thread(target=other)
        waiting.start()
        assert not entered.wait(0.5), "another thread took the lock while it was held"
    assert entered.wait(60)
    waiting.join()
