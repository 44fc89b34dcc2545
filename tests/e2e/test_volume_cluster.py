"""docker's Cluster Volume flags (swarm only): each refused in one line,
exit 125, with no volume made."""

from __future__ import annotations

import pytest

from .conftest import Hullbox

pytestmark = pytest.mark.root


@pytest.mark.parametrize("args", [
    ("--availability", "active"), ("--group", "g"), ("--limit-bytes", "1g"),
    ("--required-bytes", "1g"), ("--scope", "single"), ("--secret", "a=b"),
    ("--sharing", "none"), ("--topology-preferred", "zone=a"),
    ("--topology-required", "zone=a"), ("--type", "mount"),
])
def test_cluster_volume_flags_are_refused(hullbox: Hullbox, args: tuple[str, ...]) -> None:
    before = hullbox.ok("volume", "ls", "-q")
    result = hullbox("volume", "create", *args, "vc-cluster")
    assert result.returncode == 125, result
    assert result.stderr.strip().splitlines() == [
        f"hullbox: {args[0]}: cluster volumes need a swarm manager, and hullbox has no "
        "swarm; leave the cluster flags out"]
    assert hullbox.ok("volume", "ls", "-q") == before


def test_volume_ls_cluster_is_refused(hullbox: Hullbox) -> None:
    result = hullbox("volume", "ls", "--cluster")
    assert result.returncode == 125
    assert result.stderr.strip().splitlines() == [
        "hullbox: --cluster: cluster volumes need a swarm manager, and hullbox has no swarm"]
