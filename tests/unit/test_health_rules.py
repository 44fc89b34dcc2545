"""Health check rules: HEALTHCHECK parsing, flag merging, status transitions."""

from __future__ import annotations

import pytest

from hullbox.engine.health import HEALTHY, STARTING, UNHEALTHY, HealthState, apply_result
from hullbox.engine.settings.health import HealthSettings
from hullbox.errors import InvalidArgument
from hullbox.image.healthcheck import parse_duration, parse_healthcheck


def test_durations_are_go_durations() -> None:
    assert parse_duration("1m30s") == 90_000_000_000
    assert parse_duration("500ms") == 500_000_000
    assert parse_duration("1.5s") == 1_500_000_000
    assert parse_duration("0") == 0
    for bad in ("", "5", "s", "1x", "1s2"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_healthcheck_instruction() -> None:
    assert parse_healthcheck("--interval=5s --retries=2 CMD curl -f http://x/") == {
        "Interval": 5_000_000_000, "Retries": 2, "Test": ["CMD-SHELL", "curl -f http://x/"]}
    assert parse_healthcheck('CMD ["test", "-f", "/ok"]') == {
        "Test": ["CMD", "test", "-f", "/ok"]}
    assert parse_healthcheck("NONE") == {"Test": ["NONE"]}
    for bad in ("", "CMD", "--bogus=1 CMD x", "--retries=x CMD y", "NONE x", "RUN x"):
        with pytest.raises(ValueError):
            parse_healthcheck(bad)


def test_flags_override_the_image_then_defaults() -> None:
    image = {"Test": ["CMD", "true"], "Interval": 7_000_000_000, "Retries": 9}
    check = HealthSettings.parse(interval="2s").merged(image)
    assert check is not None
    assert (check.test, check.interval, check.retries, check.timeout) == (
        ["CMD", "true"], 2_000_000_000, 9, 30_000_000_000)
    assert check.command() == ["true"]
    own = HealthSettings.parse(cmd="wget -q localhost").merged(image)
    assert own is not None and own.command(["/bin/ash", "-c"]) == [
        "/bin/ash", "-c", "wget -q localhost"]
    assert HealthSettings.parse(disabled=True).merged(image) is None
    assert HealthSettings().merged(None) is None
    with pytest.raises(InvalidArgument):
        HealthSettings.parse(timeout="1ns")


def test_status_transitions() -> None:
    ok = {"ExitCode": 0}
    bad = {"ExitCode": 1}
    state = HealthState(STARTING)
    state = apply_result(state, bad, retries=2, in_start_period=True)
    assert (state.status, state.failing_streak) == (STARTING, 0)  # not counted yet
    state = apply_result(state, bad, retries=2, in_start_period=False)
    assert (state.status, state.failing_streak) == (STARTING, 1)
    state = apply_result(state, bad, retries=2, in_start_period=False)
    assert (state.status, state.failing_streak) == (UNHEALTHY, 2)
    state = apply_result(state, ok, retries=2, in_start_period=False)
    assert (state.status, state.failing_streak) == (HEALTHY, 0)
    for _ in range(10):
        state = apply_result(state, ok, retries=2, in_start_period=False)
    assert len(state.log) == 5
