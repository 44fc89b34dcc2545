"""Compose's ipc, pid, group_add, domainname, annotations, cgroup and a
network's ipv6_address and link_local_ips as a user writes them: ``service:``
joins the other service's container, and the values are seen from inside
(``exec``) and in ``inspect``."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command
from .netkit import free_subnet6

pytestmark = [pytest.mark.root, pytest.mark.network]

PROJECT = "tnamespaces"


def _compose(hullbox: Hullbox, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*hullbox_command(), "compose", "-p", PROJECT, *args],
                          cwd=directory, capture_output=True, text=True, timeout=120,
                          env=hullbox.env(), check=False)


def test_compose_namespace_keys(hullbox: Hullbox, tmp_path: Path) -> None:
    if not Path("/proc/net/if_inet6").exists():
        pytest.skip("the kernel has IPv6 disabled")
    if shutil.which("nft") is None:
        pytest.skip("nft is not installed (apt-get install nftables)")
    subnet = free_subnet6()
    address = subnet.replace("::/64", "::77")
    (tmp_path / "compose.yaml").write_text(f"""
services:
  donor:
    image: busybox
    command: sh -c 'echo from-donor > /dev/shm/note; exec sleep 300'
    stop_signal: SIGKILL
    ipc: shareable
  app:
    image: busybox
    command: sleep 301
    stop_signal: SIGKILL
    ipc: service:donor
    pid: service:donor
    cgroup: private
    group_add: [users]
    domainname: example.org
    annotations: {{team: storage}}
    networks:
      v6:
        ipv6_address: "{address}"
        link_local_ips: [169.254.9.9]
networks:
  v6:
    enable_ipv6: true
    ipam: {{config: [{{subnet: "{subnet}"}}]}}
""")
    try:
        up = _compose(hullbox, tmp_path, "up", "-d")
        assert up.returncode == 0, up.stderr
        script = ("cat /dev/shm/note; ps -o args | grep -c '^sleep 30[01]'; id -G; "
                  "cat /proc/sys/kernel/domainname; ip addr show eth0")
        out = _compose(hullbox, tmp_path, "exec", "app", "sh", "-c", script)
        assert out.returncode == 0, out.stderr
        lines = out.stdout.splitlines()
        assert lines[:4] == ["from-donor", "2", "0 100", "example.org"]
        assert f"inet6 {address}/64 scope global" in out.stdout
        assert "inet 169.254.9.9/16" in out.stdout
        host = json.loads(hullbox.ok("inspect", f"{PROJECT}-app-1"))[0]["HostConfig"]
        assert host["IpcMode"] == host["PidMode"] == f"container:{PROJECT}-donor-1"
        assert host["GroupAdd"] == ["users"] and host["Annotations"] == {"team": "storage"}
    finally:
        _compose(hullbox, tmp_path, "down", "-t", "0")
