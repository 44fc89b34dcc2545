"""The pure parts of issue 3: restart policies, log records, time and filter parsing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hullbox.engine import logs
from hullbox.engine.filters import matches, parse_filters
from hullbox.engine.lifecycle import parse_signal
from hullbox.engine.restart import RestartPolicy, backoff
from hullbox.errors import InvalidArgument
from hullbox.store.containers import ContainerRecord


def test_restart_policy_parse_and_decide() -> None:
    policy = RestartPolicy.parse("on-failure:2")
    assert (policy.name, policy.max_retries, str(policy)) == ("on-failure", 2, "on-failure:2")
    assert policy.should_restart(1, 0, False) and policy.should_restart(1, 1, False)
    assert not policy.should_restart(1, 2, False)
    assert not policy.should_restart(0, 0, False)
    always = RestartPolicy.parse("always")
    assert always.should_restart(0, 99, False) and not always.should_restart(0, 0, True)
    assert not RestartPolicy.parse(None).should_restart(1, 0, False)
    for bad in ("sometimes", "always:3", "on-failure:x"):
        with pytest.raises(InvalidArgument):
            RestartPolicy.parse(bad)
    assert backoff(0) == 0.1 and backoff(20) == 60.0


def test_pump_writes_one_record_per_line_per_stream(tmp_path: Path) -> None:
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    os.write(out_w, b"one\ntw")
    os.write(err_w, b"oops\n")
    os.write(out_w, b"o\n\xffpartial")
    os.close(out_w)
    os.close(err_w)
    path = tmp_path / "json.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    logs.pump({out_r: "stdout", err_r: "stderr"}, fd)
    os.close(fd)
    entries, end = logs.read_entries(path)
    assert end == path.stat().st_size
    by_stream = {s: [e.data for e in entries if e.stream == s] for s in ("stdout", "stderr")}
    assert by_stream == {"stdout": [b"one\n", b"two\n", b"\xffpartial"], "stderr": [b"oops\n"]}
    assert [e.data for e in logs.read_entries(path, tail=1)[0]] == [entries[-1].data]


def test_parse_time_forms() -> None:
    now = 1_700_000_000.0
    assert logs.parse_time("10m", "--since", now) == logs.timestamp(int((now - 600) * 1e9))
    assert logs.parse_time("1h30m", "--since", now) == logs.timestamp(int((now - 5400) * 1e9))
    assert logs.parse_time("1700000000", "--since") == "2023-11-14T22:13:20.000000000Z"
    assert logs.parse_time("2023-11-14T22:13:20Z", "--since") == "2023-11-14T22:13:20.000000000Z"
    stamp = "2023-11-14T22:13:20.123456789Z"
    assert logs.parse_time(stamp, "--since") == stamp
    with pytest.raises(ValueError, match="invalid --since 'yesterday'"):
        logs.parse_time("yesterday", "--since")


def test_filters() -> None:
    record = ContainerRecord(id="ab" * 32, name="web", image_id="sha256:" + "c" * 64,
                             image_name="busybox", command=["sh"],
                             config={"labels": {"tier": "front"}}, state="exited",
                             exit_code=3)
    assert matches(record, parse_filters(["status=exited", "status=running", "name=we"]))
    assert matches(record, parse_filters(["label=tier=front", "exited=3", "id=abab"]))
    assert not matches(record, parse_filters(["status=running"]))
    assert not matches(record, parse_filters(["name=web", "label=tier=back"]))
    for bad in ("status=sleeping", "colour=red", "novalue"):
        with pytest.raises(InvalidArgument):
            parse_filters([bad])


def test_parse_signal() -> None:
    assert parse_signal("HUP") == parse_signal("SIGHUP") == parse_signal("1")
    assert parse_signal("kill").name == "SIGKILL"
    with pytest.raises(InvalidArgument):
        parse_signal("NOPE")
