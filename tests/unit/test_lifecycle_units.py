"""The pure parts of issue 3: restart policies, log records, time and filter parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullbox.engine import logs
from hullbox.engine.filters import matches, parse_filters
from hullbox.engine.lifecycle import parse_signal
from hullbox.engine.logwriter import LinePump, LogWriter
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


def test_line_pumps_write_one_record_per_line_per_stream(tmp_path: Path) -> None:
    path = tmp_path / "json.log"
    writer = LogWriter(str(path))
    out, err = LinePump("stdout", writer), LinePump("stderr", writer)
    out.feed(b"one\ntw")
    err.feed(b"oops\n")
    out.feed(b"o\n\xffpartial")
    out.close()
    err.close()
    writer.close()
    entries, end = logs.read_entries(path)
    assert end == path.stat().st_size
    by_stream = {s: [e.data for e in entries if e.stream == s] for s in ("stdout", "stderr")}
    assert by_stream == {"stdout": [b"one\n", b"two\n", b"\xffpartial"], "stderr": [b"oops\n"]}
    assert [e.data for e in logs.read_entries(path, tail=1)[0]] == [entries[-1].data]
    # Docker's compact json-file record
    assert path.read_bytes().startswith(b'{"log":"one\\n","stream":"stdout","time":"')


def test_log_rotation_keeps_max_file_files_and_reads_them_in_order(tmp_path: Path) -> None:
    path = tmp_path / "json.log"
    writer = LogWriter(str(path), max_size=300, max_files=3)
    pump = LinePump("stdout", writer)
    for index in range(40):
        pump.feed(f"line {index}\n".encode())
    writer.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["json.log", "json.log.1", "json.log.2"]
    assert all(p.stat().st_size <= 300 + 100 for p in tmp_path.iterdir())
    lines = [e.data for e in logs.read_entries(path)[0]]
    assert lines == [f"line {i}\n".encode() for i in range(40 - len(lines), 40)]
    assert 6 < len(lines) < 40  # the oldest went with the dropped file

    single = tmp_path / "one" / "json.log"
    single.parent.mkdir()
    writer = LogWriter(str(single), max_size=100, max_files=1)
    for index in range(20):
        writer.write(f"{index:099d}\n".encode())
    writer.close()
    assert single.stat().st_size == 100 and list(single.parent.iterdir()) == [single]


def test_follow_reads_across_a_rotation(tmp_path: Path) -> None:
    path = tmp_path / "json.log"
    writer = LogWriter(str(path), max_size=250, max_files=2)  # ~72-byte records
    pump = LinePump("stdout", writer)
    pump.feed(b"first\n")
    entries, offset = logs.read_entries(path)
    followed = logs.follow(path, offset, running=lambda: False)
    for index in range(6):  # rotates once before the follower reads
        pump.feed(f"after {index}\n".encode())
    writer.close()
    assert (tmp_path / "json.log.1").exists()
    assert [e.data for e in followed] == [f"after {i}\n".encode() for i in range(6)]


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
