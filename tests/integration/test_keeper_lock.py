"""A foreground container whose process is gone: still running while its
keeper holds the lock (it is recording the exit), 137 once the keeper is gone.
Real store, real flock, a real process that ended."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hullbox.engine import keeper_lock
from hullbox.engine.containers import ContainerService
from hullbox.engine.images import ImageService
from hullbox.store import containers as container_db
from hullbox.store.containers import EXITED, RUNNING, ContainerRecord
from hullbox.store.store import Store


def _running_with_a_dead_pid(store: Store) -> ContainerRecord:
    ended = subprocess.Popen(["true"])
    ended.wait()  # reaped: its /proc entry is gone
    dead_pid = ended.pid
    record = ContainerRecord(id="f" * 64, name="fg", image_id="sha256:" + "0" * 64,
                             image_name="busybox", command=["sleep", "60"], config={})
    container_db.insert(store, record)
    store.container_dir(record.id).mkdir(parents=True)
    container_db.update(store, record.id, state=RUNNING, pid=dead_pid)
    return record


def test_a_held_keeper_lock_means_the_exit_is_being_recorded(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    service = ContainerService(store, ImageService(store))
    record = _running_with_a_dead_pid(store)
    lock = keeper_lock.hold(store.container_dir(record.id), record.id)
    try:
        assert keeper_lock.is_held(store.container_dir(record.id))
        assert [r.state for r in service.list(all=True)] == [RUNNING]
        container_db.update(store, record.id, state=EXITED, exit_code=3, pid=0)
        assert [(r.state, r.exit_code) for r in service.list(all=True)] == [(EXITED, 3)]
    finally:
        os.close(lock)
    assert not keeper_lock.is_held(store.container_dir(record.id))


def test_no_keeper_means_the_run_was_killed(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    service = ContainerService(store, ImageService(store))
    record = _running_with_a_dead_pid(store)
    [seen] = service.list(all=True)
    assert (seen.state, seen.exit_code) == (EXITED, 137)
    assert seen.error == "the hullbox process that ran this container was killed"
    latest = container_db.get(store, record.id)  # recorded, not only shown
    assert latest is not None and latest.exit_code == 137
