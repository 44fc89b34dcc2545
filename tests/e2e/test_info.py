"""`hullbox info`: the host as docker info shows it, and a warning for what is missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root


def _fields(text: str) -> dict[str, str]:
    return dict(line.strip().split(": ", 1) for line in text.splitlines() if ": " in line)


def test_info_counts_and_describes_the_host(hullbox: Hullbox) -> None:
    before = json.loads(hullbox.ok("info", "--format", "json"))
    box = hullbox.ok("run", "-d", "busybox", "sleep", "30").strip()
    try:
        fields = _fields(hullbox.ok("info"))
        assert int(fields["Containers"]) == before["Containers"] + 1
        assert int(fields["Running"]) == before["ContainersRunning"] + 1
        assert int(fields["Images"]) >= 1  # busybox
        assert fields["Kernel Version"] == os.uname().release
        assert fields["Architecture"] == os.uname().machine
        assert fields["CPUs"] == str(os.cpu_count())
        assert fields["Storage Driver"] == "overlay"
        backing = subprocess.run(["findmnt", "-n", "-o", "FSTYPE", "--target", str(hullbox.root)],
                                 capture_output=True, text=True, check=True).stdout.strip()
        assert fields["Backing Filesystem"] == backing
        runtimes = fields["Runtimes"].split()
        assert runtimes[0] == "hullbox"
        assert ("runc" in runtimes) == (shutil.which("runc") is not None)
        assert fields["Hullbox Root Dir"] == str(hullbox.root)
        assert hullbox.ok("info", "-f", "{{.OSType}}/{{.Architecture}}") == \
            f"linux/{os.uname().machine}\n"
    finally:
        hullbox.ok("rm", "-f", box)


def test_info_warns_when_nft_is_missing(hullbox: Hullbox) -> None:
    env = hullbox.env() | {"PATH": "/nonexistent"}  # neither nft nor runc/crun is found
    result = subprocess.run([*hullbox_command(), "info"], env=env, capture_output=True,
                            text=True, timeout=60, check=True)
    fields = _fields(result.stdout)
    assert fields["Runtimes"] == "hullbox"
    assert "nftables missing" in fields["Network"]
    assert "WARNING: nft is not installed: published ports and NAT from bridges do not work " \
        "(apt-get install nftables)" in result.stdout.splitlines()
