"""Shared test fixtures: paths to the shared corpora and requirement markers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPORA = REPO_ROOT.parent / "shared" / "corpora"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``root`` tests skip, with the reason, when not running as root."""
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="needs root: namespaces, mounts and cgroups")
    for item in items:
        if "root" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def corpora() -> Path:
    """../shared/corpora, or a skip naming where it was looked for."""
    if not CORPORA.is_dir():
        pytest.skip(f"shared corpora not found at {CORPORA}")
    return CORPORA


@pytest.fixture(scope="session", autouse=True)
def no_bridge_left(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fails the session, naming them, if its stores left bridges: a store's
    bridge carries its database path, so only stores under this session's
    temporary directory count (not another run's on the same host)."""
    from hullbox.network.bridge import owned_bridges, sweep_orphans

    base = str(tmp_path_factory.getbasetemp()).rstrip("/") + "/"

    def left() -> list[str]:
        return sorted(f"{name} ({db})" for name, _id, _subnets, db in owned_bridges()
                      if db.startswith(base))

    if os.geteuid() == 0 and left():
        # A reused --basetemp was emptied at start: a bridge of the last run's
        # stores is an orphan now, and would pass for one of this run's.
        sweep_orphans()
    before = set(left())
    yield
    made = [entry for entry in left() if entry not in before]
    if made:
        pytest.fail(f"tests left {len(made)} bridge(s) of their stores: {', '.join(made)}; "
                    "reset each store (tests/e2e/storecheck.py release)", pytrace=False)
