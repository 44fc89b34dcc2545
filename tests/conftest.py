"""Shared test fixtures: paths to the shared corpora and requirement markers."""

from __future__ import annotations

import os
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
