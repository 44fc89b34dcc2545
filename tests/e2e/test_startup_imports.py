"""The everyday verbs start without importing what only other verbs need
(registry client, compose, build, VMs, rich, YAML...): each costs start-up
time on every `hullbox run`."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import Hullbox

# Top-level packages and hullbox subpackages none of the verbs below may load.
HEAVY = ("httpx", "rich", "yaml", "jsonschema", "pyroute2", "qemu",
         "hullbox.registry", "hullbox.build", "hullbox.compose", "hullbox.vm",
         "hullbox.cli.registry", "hullbox.cli.build", "hullbox.cli.compose", "hullbox.cli.vm")


def imported_by(hullbox: Hullbox, *args: str) -> set[str]:
    """The modules `hullbox ARGS` imports, as `python -X importtime` lists them."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "hullbox.cli.main", *args],
        capture_output=True, text=True, env=hullbox.env(), timeout=60, check=False,
    )
    assert result.returncode == 0, f"hullbox {' '.join(args)}: {result.stderr[-2000:]}"
    return {line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines()
            if line.startswith("import time:") and "|" in line}


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("args", [
    ["run", "--rm", "busybox", "true"],
    ["run", "--rm", "--network", "none", "busybox", "true"],
    ["ps", "-a"],
    ["images"],
    ["--version"],
    ["--help"],
])
def test_verb_imports_nothing_heavy(hullbox: Hullbox, args: list[str]) -> None:
    modules = imported_by(hullbox, *args)
    assert "click" in modules  # the listing works
    assert heavy(modules) == []


def test_verbs_on_a_running_container_import_nothing_heavy(hullbox: Hullbox) -> None:
    name = "startup-imports"
    hullbox.ok("run", "-d", "--name", name, "busybox", "sleep", "60")
    try:
        assert heavy(imported_by(hullbox, "exec", name, "true")) == []
        assert heavy(imported_by(hullbox, "stop", "-t", "0", name)) == []
        assert heavy(imported_by(hullbox, "rm", "-f", name)) == []
    finally:
        hullbox("rm", "-f", name)
    assert name not in hullbox.ok("ps", "-a", "--format", "{{.Names}}").split()
