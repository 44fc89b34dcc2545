"""compose's dependency-order scheduler: what runs, in which order, and what
a failure stops."""

from __future__ import annotations

import threading

import pytest

from hullbox.compose.schedule import in_dependency_order


def test_dependencies_finish_first_and_independent_names_overlap() -> None:
    both_running = threading.Barrier(2, timeout=10)  # a and b must run at the same time
    finished: list[str] = []

    def task(name: str, changed: frozenset[str]) -> bool:
        if name in ("a", "b"):
            both_running.wait()
        if name == "c":
            assert changed == {"a"}  # what its finished dependencies changed
        finished.append(name)
        return name == "a"

    changed = in_dependency_order(["a", "b", "c"], {"c": ["a", "b"]}, task)
    assert finished[-1] == "c"
    assert changed == {"a"}


def test_a_failure_starts_nothing_new_and_is_raised() -> None:
    ran: list[str] = []

    def task(name: str, _changed: frozenset[str]) -> bool:
        ran.append(name)
        if name == "db":
            raise RuntimeError("db is unhealthy")
        return False

    with pytest.raises(RuntimeError, match="db is unhealthy"):
        in_dependency_order(["db", "web", "cache"], {"web": ["db"]}, task)
    assert "web" not in ran
    assert "cache" in ran  # it had started alongside db
