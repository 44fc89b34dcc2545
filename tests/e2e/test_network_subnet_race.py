"""Two stores choosing a subnet at the same moment get different ones: the
first ``run --network bridge`` of two fresh stores, and ``network create``
in two stores, started together several times. Before the choice was held
under the host lock until the bridge had its address, both could pick the
same /24 and the second bridge was refused ("overlaps a route").

Traffic goes only to the gateways of the bridges these stores make."""

from __future__ import annotations

import ipaddress
import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = [pytest.mark.root, pytest.mark.network]

ROUNDS = 3

# The container's address and a ping of its gateway (the host's end of the bridge).
_PROBE = ("ip -4 -o addr show eth0 | awk '{print $4}'; "
          "ping -c 1 -W 5 $(ip route | awk '/^default/ {print $3}') >/dev/null && echo reached")


def _together(stores: list[Hullbox], *args: str) -> list[subprocess.CompletedProcess[str]]:
    """The same command in each store, all started before any is waited for."""
    started = [subprocess.Popen([*hullbox_command(), *args], env=store.env(), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for store in stores]
    finished = []
    for process in started:
        out, err = process.communicate(timeout=120)
        finished.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return finished


def _subnet(store: Hullbox, network: str) -> str:
    config = json.loads(store.ok("network", "inspect", "-f", "{{json .IPAM.Config}}", network))
    return str(config[0]["Subnet"])


def test_first_bridged_runs_of_two_stores_get_different_subnets(
        new_store: Callable[[str], Hullbox], busybox_tar: Path) -> None:
    for round_ in range(ROUNDS):
        stores = [new_store(f"first-{round_}"), new_store(f"second-{round_}")]
        for store in stores:
            store.ok("import", str(busybox_tar), "busybox:latest")
        runs = _together(stores, "run", "--rm", "--network", "bridge", "busybox",
                         "sh", "-c", _PROBE)
        for run in runs:
            assert run.returncode == 0, f"round {round_}: {run.stderr}"
            assert run.stdout.splitlines()[-1] == "reached", run.stdout
        subnets = [_subnet(store, "bridge") for store in stores]
        assert subnets[0] != subnets[1], f"round {round_}: both stores took {subnets[0]}"
        for run, subnet in zip(runs, subnets, strict=True):
            address = ipaddress.ip_interface(run.stdout.splitlines()[0])
            assert address.network == ipaddress.ip_network(subnet), (run.stdout, subnet)


def test_networks_created_at_once_in_two_stores_get_different_subnets(
        new_store: Callable[[str], Hullbox]) -> None:
    stores = [new_store("first"), new_store("second")]
    for round_ in range(ROUNDS + 2):
        name = f"race-{round_}"
        created = _together(stores, "network", "create", name)
        for result in created:
            assert result.returncode == 0, f"round {round_}: {result.stderr}"
        subnets = [_subnet(store, name) for store in stores]
        assert subnets[0] != subnets[1], f"round {round_}: both stores took {subnets[0]}"
        bridges = [store.ok("network", "inspect", "-f", "{{.Id}}", name).strip()[:12]
                   for store in stores]
        for bridge_id, subnet in zip(bridges, subnets, strict=True):
            gateway = str(next(ipaddress.ip_network(subnet).hosts()))
            assert f"inet {gateway}/" in subprocess.run(
                ["ip", "-4", "-o", "addr", "show", f"hb-{bridge_id}"], text=True,
                capture_output=True, check=True).stdout
        for store in stores:
            store.ok("network", "rm", name)


def test_default_network_whose_subnet_was_taken_while_its_bridge_was_gone(
        new_store: Callable[[str], Hullbox], busybox_tar: Path) -> None:
    """After a reboot the bridges are gone but the record stays; if something
    of the host took the subnet meanwhile, the default network (which a user
    cannot remove) moves to a free one instead of refusing every run."""
    store = new_store("rebooted")
    store.ok("import", str(busybox_tar), "busybox:latest")
    store.ok("network", "ls")  # the default network is recorded, its bridge made
    before = _subnet(store, "bridge")
    bridge_id = store.ok("network", "inspect", "-f", "{{.Id}}", "bridge").strip()[:12]
    squatter = f"hbtsq{bridge_id[:8]}"
    gateway = str(next(ipaddress.ip_network(before).hosts()))
    subprocess.run(["ip", "link", "del", f"hb-{bridge_id}"], check=True)  # "the reboot"
    subprocess.run(["ip", "link", "add", squatter, "type", "bridge"], check=True)
    try:
        subprocess.run(["ip", "addr", "add", f"{gateway}/24", "dev", squatter], check=True)
        ran = store("run", "--rm", "--network", "bridge", "busybox", "sh", "-c", _PROBE)
        assert ran.returncode == 0, ran.stderr
        after = _subnet(store, "bridge")
        assert after != before
        assert ipaddress.ip_interface(ran.stdout.splitlines()[0]).network == \
            ipaddress.ip_network(after)
    finally:
        subprocess.run(["ip", "link", "del", squatter], check=False)
