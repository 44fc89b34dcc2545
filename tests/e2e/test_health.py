"""Health checks as a user sets them: --health-* flags and the image's
HEALTHCHECK; ps shows (health: starting) -> (healthy) -> (unhealthy)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from .conftest import Hullbox, until

pytestmark = pytest.mark.root

SLEEPER = ["sh", "-c", "touch /tmp/ok; exec sleep 1000"]


@pytest.fixture
def clean(hullbox: Hullbox) -> Iterator[Hullbox]:
    yield hullbox
    for name in ("checked", "from-image", "disabled"):
        hullbox("rm", "-f", name)
    hullbox("rmi", "healthy:1")


def _status(hullbox: Hullbox, name: str) -> str:
    return hullbox.ok("ps", "--filter", f"name=^{name}$", "--format", "{{.Status}}").strip()


def test_check_passes_then_fails(clean: Hullbox) -> None:
    hullbox = clean
    # The check fails until /tmp/ok exists, and failures inside the start
    # period do not count: it stays "starting" however slowly ps runs.
    hullbox.ok("run", "-d", "--name", "checked", "--health-cmd", "test -f /tmp/ok && echo fine",
               "--health-interval", "500ms", "--health-retries", "2",
               "--health-start-period", "10m", "busybox", "sleep", "1000")
    assert _status(hullbox, "checked").endswith("(health: starting)")
    time.sleep(1.2)  # two failing checks inside the start period
    assert _status(hullbox, "checked").endswith("(health: starting)")
    hullbox.ok("exec", "checked", "touch", "/tmp/ok")
    assert until(lambda: _status(hullbox, "checked").endswith("(healthy)"))
    assert hullbox.ok("ps", "-q", "--filter", "health=healthy", "--filter", "name=checked")
    health = json.loads(hullbox.ok("inspect", "-f", "{{json .State.Health}}", "checked"))
    assert health["Status"] == "healthy" and health["FailingStreak"] == 0
    assert health["Log"][-1]["ExitCode"] == 0 and health["Log"][-1]["Output"] == "fine\n"
    assert health["Log"][-1]["Start"] <= health["Log"][-1]["End"]

    hullbox.ok("exec", "checked", "rm", "/tmp/ok")  # what the check tests is gone
    assert until(lambda: _status(hullbox, "checked").endswith("(unhealthy)"))
    health = json.loads(hullbox.ok("inspect", "-f", "{{json .State.Health}}", "checked"))
    assert health["Status"] == "unhealthy" and health["FailingStreak"] >= 2
    assert health["Log"][-1]["ExitCode"] == 1
    assert len(health["Log"]) <= 5
    assert hullbox.ok("ps", "-q", "--filter", "health=unhealthy", "--filter",
                      "name=checked").strip()
    assert hullbox.ok("ps", "-q", "--filter", "health=healthy", "--filter",
                      "name=checked") == ""

    hullbox.ok("exec", "checked", "touch", "/tmp/ok")  # and back
    assert until(lambda: _status(hullbox, "checked").endswith("(healthy)"))


def test_timeout_counts_as_a_failure(clean: Hullbox) -> None:
    hullbox = clean
    hullbox.ok("run", "-d", "--name", "checked", "--health-cmd", "sleep 5",
               "--health-interval", "200ms", "--health-timeout", "300ms",
               "--health-retries", "1", "busybox", *SLEEPER)
    assert until(lambda: _status(hullbox, "checked").endswith("(unhealthy)"))
    log = json.loads(hullbox.ok("inspect", "-f", "{{json .State.Health.Log}}", "checked"))
    assert log[-1]["ExitCode"] == -1
    assert log[-1]["Output"] == "Health check exceeded timeout (300ms)"
    # each timed-out check was killed, not left running in the container: only
    # the check in progress now may be there
    assert until(lambda: len(json.loads(hullbox.ok(
        "inspect", "-f", "{{json .State.Health.Log}}", "checked"))) >= 3)
    assert hullbox.ok("top", "checked").count("sleep 5") <= 1


def test_image_healthcheck_is_the_default(clean: Hullbox, busybox_tar: object) -> None:
    hullbox = clean
    hullbox.ok("import", "--change",
               "HEALTHCHECK --interval=300ms --retries=1 CMD [\"test\", \"-f\", \"/tmp/ok\"]",
               str(busybox_tar), "healthy:1")
    config = json.loads(hullbox.ok("inspect", "-f", "{{json .Config.Healthcheck}}",
                                   "healthy:1"))
    assert config == {"Test": ["CMD", "test", "-f", "/tmp/ok"], "Interval": 300_000_000,
                      "Retries": 1}
    hullbox.ok("run", "-d", "--name", "from-image", "healthy:1", *SLEEPER)
    assert until(lambda: _status(hullbox, "from-image").endswith("(healthy)"))
    hullbox.ok("run", "-d", "--name", "disabled", "--no-healthcheck", "healthy:1", *SLEEPER)
    time.sleep(1)
    assert _status(hullbox, "disabled").startswith("Up ")
    assert "(" not in _status(hullbox, "disabled")
    assert hullbox.ok("inspect", "-f", "{{.State.Health}}", "disabled") == "<no value>\n"
    assert hullbox.ok("ps", "-q", "--filter", "health=none", "--filter", "name=disabled")


def test_bad_health_flags(hullbox: Hullbox) -> None:
    for args, fragment in (
        (["--health-interval", "soon"], "--health-interval"),
        (["--health-retries", "-1"], "--health-retries cannot be negative"),
        (["--no-healthcheck", "--health-cmd", "true"], "--no-healthcheck conflicts"),
    ):
        result = hullbox("run", "-d", *args, "busybox", "true")
        assert result.returncode == 125
        assert fragment in result.stderr and len(result.stderr.splitlines()) == 1
    bad_filter = hullbox("ps", "--filter", "health=sick")
    assert bad_filter.returncode == 125 and "health=sick" in bad_filter.stderr
