"""The event journal (store/journal.py): appends from many processes, the
rotation past MAX_BYTES, torn lines, and following across a rotation; and
Docker's event filters (engine/event_query.py)."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from hullbox.engine.event_query import EventQuery, matches, parse_event_filters
from hullbox.errors import InvalidArgument
from hullbox.store import journal


def _append_many(root: str, who: int) -> None:
    for n in range(200):
        journal.append(Path(root), "container", "start", f"{who}-{n}", {"name": "x" * 50})


def test_concurrent_appends_lose_and_tear_nothing(tmp_path: Path) -> None:
    workers = [multiprocessing.Process(target=_append_many, args=(str(tmp_path), who))
               for who in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    events, _inode, _offset = journal.read(tmp_path)
    assert sorted(e["ID"] for e in events) == sorted(
        f"{who}-{n}" for who in range(4) for n in range(200))


def test_rotation_keeps_one_old_generation(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal, "MAX_BYTES", 1000)
    for n in range(60):
        journal.append(tmp_path, "image", "tag", f"id{n}", {"name": f"t{n}"})
    assert (tmp_path / "events.log.1").exists()
    events, _inode, _offset = journal.read(tmp_path)
    ids = [e["ID"] for e in events]
    assert ids == sorted(ids, key=lambda i: int(i[2:]))  # oldest first, none twice
    assert ids[-1] == "id59" and len(ids) < 60  # the oldest generation went


def test_a_torn_line_is_skipped(tmp_path: Path) -> None:
    journal.append(tmp_path, "volume", "create", "a", {})
    with (tmp_path / "events.log").open("ab") as handle:
        handle.write(b'{"timeNano": 1, "Type": "vol\n')
    journal.append(tmp_path, "volume", "create", "b", {})
    assert [e["ID"] for e in journal.read(tmp_path)[0]] == ["a", "b"]


def test_follow_sees_new_events_across_a_rotation(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(journal, "MAX_BYTES", 600)
    journal.append(tmp_path, "network", "create", "before", {})
    _events, inode, offset = journal.read(tmp_path)
    seen: list[str] = []
    done = threading.Event()

    def writer() -> None:
        for n in range(20):
            journal.append(tmp_path, "network", "create", f"n{n}", {"name": "net"})
            time.sleep(0.01)
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    deadline = time.monotonic() + 10
    for event in journal.follow(tmp_path, inode, offset, lambda: time.monotonic() < deadline):
        seen.append(event["ID"])
        if len(seen) == 20:
            break
    thread.join()
    assert (tmp_path / "events.log.1").exists()
    assert seen == [f"n{n}" for n in range(20)]


def _event(kind: str, action: str, actor: str, **attributes: str) -> dict[str, object]:
    return {"timeNano": 1, "Type": kind, "Action": action, "ID": actor,
            "Attributes": attributes}


def test_filters_follow_dockers_rules() -> None:
    start = _event("container", "start", "abc123", name="web", image="busybox:latest", tier="1")
    tag = _event("image", "tag", "sha256:ff", name="busybox:1")

    def passes(event: dict[str, object], *items: str) -> bool:
        return matches(event, parse_event_filters(list(items)))

    assert passes(start, "container=web") and passes(start, "container=abc")
    assert not passes(start, "container=eb")
    assert passes(start, "image=busybox") and passes(start, "image=busybox:latest")
    assert passes(tag, "image=busybox") and not passes(tag, "container=busybox")
    assert passes(start, "event=start", "event=die") and not passes(start, "event=die")
    assert passes(start, "type=container", "label=tier=1") and not passes(start, "label=tier=2")
    exec_start = _event("container", "exec_start: sh -c ls", "abc123", name="web")
    assert passes(exec_start, "event=exec_start")
    assert not passes(start, "scope=swarm") and not passes(start, "daemon=x")
    with pytest.raises(InvalidArgument, match="invalid filter 'type=pod'"):
        parse_event_filters(["type=pod"])


def test_until_in_the_past_returns_only_the_past(tmp_path: Path) -> None:
    journal.append(tmp_path, "volume", "create", "old", {"driver": "local"})
    now = time.time_ns()
    found = list(EventQuery({}, since=now - 10**10, until=now).select(tmp_path))
    assert [(e["Type"], e["Action"], e["Actor"]["ID"]) for e in found] == \
        [("volume", "create", "old")]
    assert "status" not in found[0]  # Docker sends status/id/from for containers and images
