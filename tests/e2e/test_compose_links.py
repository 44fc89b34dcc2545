"""``links`` and ``external_links`` as a user types them: the alias a link
gives names the linked container on the network the two share."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root

PROJECT = """
services:
  db: {image: busybox, command: sleep 300, stop_signal: SIGKILL}
  web:
    image: busybox
    command: sleep 300
    stop_signal: SIGKILL
    links: ["db:database"]
    external_links: ["tlinks-outside:cache"]
networks:
  default: {name: tlinks-shared, external: true}
"""


def _compose(hullbox: Hullbox, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*hullbox_command(), "compose", "-p", "tlinks", *args],
                          cwd=directory, capture_output=True, text=True, timeout=120,
                          env=hullbox.env(), check=False)


def _address(hullbox: Hullbox, container: str) -> str:
    networks = json.loads(hullbox.ok("inspect", container))[0]["NetworkSettings"]["Networks"]
    return str(networks["tlinks-shared"]["IPAddress"])


def test_links_and_external_links_name_the_linked_containers(hullbox: Hullbox,
                                                             tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(PROJECT)
    missing = _compose(hullbox, tmp_path, "up", "-d")  # the outside container is not there
    assert missing.returncode == 125
    assert missing.stderr == ("hullbox: service 'web': external_links: no container "
                              "'tlinks-outside'; create and start it first\n")
    assert hullbox.ok("ps", "-aq", "--filter", "label=com.docker.compose.project=tlinks") == ""
    hullbox.ok("network", "create", "tlinks-shared")
    try:
        hullbox.ok("run", "-d", "--name", "tlinks-outside", "--network", "tlinks-shared",
                   "busybox", "sleep", "300")
        up = _compose(hullbox, tmp_path, "up", "-d")
        assert up.returncode == 0, up.stderr
        hosts = _compose(hullbox, tmp_path, "exec", "web", "cat", "/etc/hosts").stdout
        entries = {name: line.split()[0] for line in hosts.splitlines() if line.strip()
                   for name in line.split()[1:]}
        assert entries["database"] == _address(hullbox, "tlinks-db-1")
        assert entries["cache"] == _address(hullbox, "tlinks-outside")
    finally:
        _compose(hullbox, tmp_path, "down", "-t", "0")
        hullbox("rm", "-f", "tlinks-outside")
        hullbox("network", "rm", "tlinks-shared")
