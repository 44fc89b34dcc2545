"""The parts of ``manifest``, ``search`` and ``buildx`` that decide before
any registry is asked: local list files, search terms and limits, buildx's
output types."""

from __future__ import annotations

from pathlib import Path

import pytest

from hullbox.cli.buildx import _output
from hullbox.engine.search import search, split_term
from hullbox.errors import InvalidArgument, Unsupported
from hullbox.store import manifest_lists as lists
from hullbox.store.manifest_lists import StoredEntry, StoredList
from hullbox.store.store import Store


def test_lists_round_trip_and_names_stay_distinct(tmp_path: Path) -> None:
    store = Store(tmp_path)
    entry = StoredEntry("127.0.0.1:5000/a/b:amd64", "application/vnd.oci.image.manifest.v1+json",
                        "sha256:" + "1" * 64, 3, {"architecture": "amd64", "os": "linux"},
                        b"{}\n")
    # docker's file names ("/" and ":" as "_") would make these two one file
    for name in ("127.0.0.1:5000/a/b:x", "127.0.0.1:5000/a_b:x"):
        lists.save(store, StoredList(name, [entry]))
    assert lists.names(store) == ["127.0.0.1:5000/a/b:x", "127.0.0.1:5000/a_b:x"]
    loaded = lists.load(store, "127.0.0.1:5000/a/b:x")
    assert loaded == StoredList("127.0.0.1:5000/a/b:x", [entry])
    assert lists.remove(store, "127.0.0.1:5000/a/b:x")
    assert not lists.remove(store, "127.0.0.1:5000/a/b:x")
    assert lists.load(store, "127.0.0.1:5000/a/b:x") is None


@pytest.mark.parametrize(("term", "expected"), [
    ("busybox", ("docker.io", "busybox")),
    ("library/busybox", ("docker.io", "library/busybox")),
    ("localhost/app", ("localhost", "app")),
    ("127.0.0.1:5000/app", ("127.0.0.1:5000", "app")),
    ("127.0.0.1:5000/", ("127.0.0.1:5000", "")),
    ("127.0.0.1:5000", ("127.0.0.1:5000", "")),
    ("quay.io/team/app", ("quay.io", "team/app")),
])
def test_split_term(term: str, expected: tuple[str, str]) -> None:
    assert split_term(term) == expected


def test_search_refuses_before_asking_anyone() -> None:
    with pytest.raises(Unsupported, match="REGISTRY/TERM"):
        search("busybox")
    with pytest.raises(InvalidArgument, match=r"--limit 101 is outside"):
        search("127.0.0.1:1/x", limit=101)
    with pytest.raises(InvalidArgument, match="is-official=maybe"):
        search("127.0.0.1:1/x", filters=("is-official=maybe",))


@pytest.mark.parametrize(("spec", "push", "left"), [
    ("type=docker", False, None),
    ("type=registry", True, None),
    ("type=image,name=x:1,push=true", True, None),
    ("type=local,dest=out", False, "type=local,dest=out"),
    ("out", False, "out"),
])
def test_buildx_outputs(spec: str, push: bool, left: str | None) -> None:
    params = {"output": spec}
    assert _output(params) is push
    assert params["output"] == left


@pytest.mark.parametrize("spec", ["type=oci,dest=x.tar", "type=docker,dest=x.tar",
                                  "type=registry,compression=zstd"])
def test_buildx_outputs_buildkit_only(spec: str) -> None:
    with pytest.raises(Unsupported):
        _output({"output": spec})
