"""Host id ranges for --userns auto: the pool, and no two containers sharing ids."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullbox.engine import userns_ranges
from hullbox.engine.userns_ranges import IdMapping, allocate, host_id, read_subids
from hullbox.errors import InvalidArgument
from hullbox.store import containers as container_db
from hullbox.store.containers import ContainerRecord
from hullbox.store.store import Store


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    monkeypatch.setattr(userns_ranges, "SUBUID", tmp_path / "subuid")
    monkeypatch.setattr(userns_ranges, "SUBGID", tmp_path / "subgid")
    return Store(tmp_path / "store")


def _container(store: Store, cid: str) -> str:
    container_db.insert(store, ContainerRecord(id=cid, name=cid, image_id="i", image_name="i",
                                               command=["true"], config={}))
    return cid


def _uids(mapping: IdMapping) -> tuple[int, int]:
    (_, start, size), = mapping.uids
    return start, size


def test_default_pool_gives_disjoint_ranges(store: Store) -> None:
    a = allocate(store, _container(store, "a"), 65536)
    b = allocate(store, _container(store, "b"), 65536)
    assert _uids(a) == (100000, 65536) and _uids(b) == (165536, 65536)
    assert a.root == (100000, 100000)
    assert allocate(store, "a", 65536) == a  # a container keeps its range


def test_removed_containers_free_their_range(store: Store) -> None:
    allocate(store, _container(store, "a"), 65536)
    container_db.delete(store, "a")
    assert _uids(allocate(store, _container(store, "b"), 1000)) == (100000, 1000)


def test_default_pool_skips_the_users_subordinate_ids(store: Store, tmp_path: Path) -> None:
    (tmp_path / "subuid").write_text("alice:100000:65536\nbob:200000:65536\n")
    (tmp_path / "subgid").write_text("alice:100000:65536\n")
    mapping = allocate(store, _container(store, "a"), 65536)
    assert _uids(mapping) == (265536, 65536)
    assert mapping.gids == ((0, 165536, 65536),)


def test_hullbox_entry_is_the_pool(store: Store, tmp_path: Path) -> None:
    for name in ("subuid", "subgid"):
        (tmp_path / name).write_text("alice:100000:65536\nhullbox:500000:131072\n")
    assert _uids(allocate(store, _container(store, "a"), 65536)) == (500000, 65536)
    assert _uids(allocate(store, _container(store, "b"), 65536)) == (565536, 65536)
    with pytest.raises(InvalidArgument, match="no free range of 65536 ids left"):
        allocate(store, _container(store, "c"), 65536)


def test_host_id_and_subid_parsing(tmp_path: Path) -> None:
    lines = ((0, 100000, 1000), (1000, 5000, 10))
    assert [host_id(lines, n) for n in (0, 999, 1000, 1009, 1010)] == [
        100000, 100999, 5000, 5009, -1]
    (tmp_path / "subuid").write_text("# comment\nalice:100000:65536\nbroken\n1000:1:2\n")
    assert read_subids(tmp_path / "subuid") == [("alice", 100000, 65536), ("1000", 1, 2)]
    assert read_subids(tmp_path / "missing") == []
