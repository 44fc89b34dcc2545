"""Independent services start (and go) side by side, as docker compose does
it: a service waiting for a dependency's health does not hold up services
that do not depend on it, and the dependency order stays, both ways."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command

pytestmark = pytest.mark.root

# gate waits for slow to be healthy; slow turns healthy only once peer has run.
# Started one service after the other (slow, gate, peer) this never comes up.
PROJECT = """
services:
  slow:
    image: busybox
    command: sleep 300
    stop_signal: SIGKILL
    volumes: [shared:/shared]
    healthcheck:
      test: test -f /shared/peer-ran
      interval: 200ms
      retries: 300
  gate:
    image: busybox
    command: sleep 300
    stop_signal: SIGKILL
    depends_on:
      slow: {condition: service_healthy}
  peer:
    image: busybox
    command: sh -c 'touch /shared/peer-ran; exec sleep 300'
    stop_signal: SIGKILL
    volumes: [shared:/shared]
volumes:
  shared: {}
"""


def _compose(hullbox: Hullbox, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*hullbox_command(), "compose", "-p", "tparallel", *args],
                          cwd=directory, capture_output=True, text=True, timeout=120,
                          env=hullbox.env(), check=False)


def test_a_service_is_not_held_up_by_an_unrelated_health_wait(hullbox: Hullbox,
                                                               tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(PROJECT)
    try:
        up = _compose(hullbox, tmp_path, "up", "-d", "--wait-timeout", "60")
        assert up.returncode == 0, up.stderr
        ps = _compose(hullbox, tmp_path, "ps", "--format", "{{.Service}} {{.State}}")
        assert sorted(ps.stdout.splitlines()) == ["gate running", "peer running",
                                                  "slow running"]
        events = up.stderr.splitlines()
        assert events.index(" Container tparallel-slow-1  Started") < \
            events.index(" Container tparallel-gate-1  Created")  # the order stays
        down = _compose(hullbox, tmp_path, "down", "-t", "0")
        assert down.returncode == 0, down.stderr
        events = down.stderr.splitlines()
        assert events.index(" Container tparallel-gate-1  Removed") < \
            events.index(" Container tparallel-slow-1  Removed")  # dependents go first
        assert " Container tparallel-peer-1  Removed" in events
    finally:
        _compose(hullbox, tmp_path, "down", "-v", "-t", "0")


def _gate_waited_for_slow(hullbox: Hullbox) -> bool:
    """gate last started after slow's check passed since slow last started."""
    slow, gate = (json.loads(hullbox.ok("inspect", f"tparallel-{name}-1"))[0]
                  for name in ("slow", "gate"))
    passed = [e["End"] for e in slow["State"]["Health"]["Log"]
              if e["ExitCode"] == 0 and e["Start"] >= slow["State"]["StartedAt"]]
    return bool(passed) and min(passed) <= gate["State"]["StartedAt"]


@pytest.mark.parametrize("verb", ["start", "restart"])
def test_start_and_restart_go_side_by_side_and_honour_conditions(
        hullbox: Hullbox, tmp_path: Path, verb: str) -> None:
    (tmp_path / "compose.yaml").write_text(PROJECT)
    try:
        assert _compose(hullbox, tmp_path, "up", "-d", "--wait-timeout", "60").returncode == 0
        # slow turns healthy again only once peer has run again
        hullbox.ok("exec", "tparallel-slow-1", "rm", "/shared/peer-ran")
        if verb == "start":
            assert _compose(hullbox, tmp_path, "stop", "-t", "0").returncode == 0
        again = _compose(hullbox, tmp_path, verb)
        assert again.returncode == 0, again.stderr
        events = again.stderr.splitlines()
        assert events.index(" Container tparallel-slow-1  Started") < \
            events.index(" Container tparallel-gate-1  Started")
        assert _gate_waited_for_slow(hullbox)
        ps = _compose(hullbox, tmp_path, "ps", "--format", "{{.Service}} {{.State}}")
        assert sorted(ps.stdout.splitlines()) == ["gate running", "peer running",
                                                  "slow running"]
    finally:
        _compose(hullbox, tmp_path, "down", "-v", "-t", "0")
