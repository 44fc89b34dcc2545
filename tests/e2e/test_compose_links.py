"""``links`` and ``external_links`` as a user types them: the alias a link
gives names the linked container on the network the two share, in the
linking container only (as Docker scopes a link alias)."""

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
  other: {image: busybox, command: sleep 300, stop_signal: SIGKILL, depends_on: [db]}
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


def _hosts(hullbox: Hullbox, directory: Path, service: str) -> dict[str, str]:
    """name -> address in the service's /etc/hosts."""
    hosts = _compose(hullbox, directory, "exec", service, "cat", "/etc/hosts").stdout
    return {name: line.split()[0] for line in hosts.splitlines() if line.strip()
            for name in line.split()[1:]}


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
        entries = _hosts(hullbox, tmp_path, "web")
        assert entries["database"] == _address(hullbox, "tlinks-db-1")
        assert entries["cache"] == _address(hullbox, "tlinks-outside")
        # the service that does not link: db by its name, but no link alias
        others = _hosts(hullbox, tmp_path, "other")
        assert others["db"] == _address(hullbox, "tlinks-db-1")
        assert "database" not in others and "cache" not in others
        # db comes back at another address (its old one taken): web follows it
        before = _address(hullbox, "tlinks-db-1")
        assert _compose(hullbox, tmp_path, "rm", "-s", "-f", "db").returncode == 0
        hullbox.ok("run", "-d", "--name", "tlinks-taker", "--network", "tlinks-shared",
                   "busybox", "sleep", "300")
        assert _compose(hullbox, tmp_path, "up", "-d", "--no-deps", "db").returncode == 0
        moved = _address(hullbox, "tlinks-db-1")
        assert moved != before
        assert _hosts(hullbox, tmp_path, "web")["database"] == moved
        assert "database" not in _hosts(hullbox, tmp_path, "other")
    finally:
        _compose(hullbox, tmp_path, "down", "-t", "0")
        hullbox("rm", "-f", "tlinks-outside", "tlinks-taker")
        hullbox("network", "rm", "tlinks-shared")
