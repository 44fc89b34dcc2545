"""``system prune`` as a user types it, in a store of the test's own (it
removes what other tests' store holds)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Hullbox

pytestmark = pytest.mark.root


@pytest.fixture
def store(new_store: Callable[[str], Hullbox], busybox_tar: Path) -> Hullbox:
    box = new_store("prune")
    box.ok("import", str(busybox_tar), "busybox:latest")
    return box


def test_prune_asks_then_removes_each_kind(store: Hullbox, tmp_path: Path) -> None:
    running = store.ok("run", "-d", "--name", "up", "busybox", "sleep", "60").strip()
    stopped = store.ok("create", "--name", "stopped", "busybox", "true").strip()
    store.ok("network", "create", "unused-net")
    store.ok("volume", "create", "named-vol")
    store.ok("run", "--name", "anon", "-v", "/data", "busybox", "true")
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo 1 > /one\n")
    store.ok("build", "-t", "mine:1", str(tmp_path))
    store.ok("tag", "busybox", "second:1")
    (tmp_path / "Dockerfile").write_text("FROM busybox\nRUN echo 2 > /two\n")
    dangling = store.ok("inspect", "-f", "{{.Id}}", "mine:1").strip()
    store.ok("build", "-t", "mine:1", str(tmp_path))  # the old mine:1 is dangling

    declined = store("system", "prune", input=b"n\n")
    assert declined.returncode == 1
    assert declined.stdout == (
        "WARNING! This will remove:\n"
        "  - all stopped containers\n"
        "  - all networks not used by at least one container\n"
        "  - all dangling images\n"
        "  - unused build cache\n"
        "\nAre you sure you want to continue? [y/N] ")
    assert declined.stderr == "hullbox: system prune has been cancelled\n"
    assert len(store.ok("ps", "-aq").split()) == 3

    anon_container = store.ok("inspect", "-f", "{{.Id}}", "anon").strip()
    out = store.ok("system", "prune", "--volumes", input=b"y\n")
    assert "  - all anonymous volumes not used by at least one container\n" in out
    body = out.split("[y/N] ", 1)[1]
    sections = body.split("\n\n")
    assert sections[0].splitlines()[0] == "Deleted Containers:"
    assert sorted(sections[0].splitlines()[1:]) == sorted([stopped, anon_container])
    assert sections[1] == "Deleted Networks:\nunused-net"
    assert sections[2].startswith("Deleted Volumes:\n") and len(sections[2].splitlines()) == 2
    assert sections[3] == f"Deleted Images:\ndeleted: {dangling}"
    assert sections[4].splitlines()[0] == "Deleted build cache objects:"
    assert len(sections[4].splitlines()) == 3  # the layers of the two builds' RUN steps
    assert sections[5].startswith("Total reclaimed space: ")
    assert store.ok("ps", "-aq", "--no-trunc").split() == [running]
    assert store.ok("volume", "ls", "-q").split() == ["named-vol"]  # named: kept
    assert sorted(store.ok("images", "--format", "{{.Repository}}").split()) == \
        ["busybox", "mine", "second"]

    store.ok("kill", "up")
    out = store.ok("system", "prune", "-a", "-f")
    assert out.startswith("Deleted Containers:\n" + running)
    assert "untagged: busybox:latest" in out and "untagged: second:1" in out
    assert "untagged: mine:1" in out
    assert store.ok("images", "-q") == ""
    assert store.ok("system", "prune", "-f") == "Total reclaimed space: 0B\n"


def test_prune_filters(store: Hullbox) -> None:
    old = store.ok("create", "--label", "keep=no", "busybox", "true").strip()
    kept = store.ok("create", "--label", "keep=yes", "busybox", "true").strip()
    store.ok("network", "create", "--label", "keep=yes", "net-kept")
    out = store.ok("system", "prune", "--filter", "label=keep=no", "--filter", "until=0s",
                   input=b"y\n")
    assert ("\n  Items to be pruned will be filtered with:\n"
            "  - label=keep=no\n  - until=0s\n") in out
    assert out.endswith(f"Deleted Containers:\n{old}\n\nTotal reclaimed space: 0B\n")
    assert store.ok("ps", "-aq", "--no-trunc").split() == [kept]
    out = store.ok("system", "prune", "-f", "--filter", "label!=keep=yes")
    assert out == "Total reclaimed space: 0B\n"
    out = store.ok("system", "prune", "-f", "--filter", "until=1h")  # all newer than 1h
    assert out == "Total reclaimed space: 0B\n"
    assert store.ok("network", "ls", "--format", "{{.Name}}").split().count("net-kept") == 1
    store.ok("network", "rm", "net-kept")


@pytest.mark.parametrize(("args", "wanted"), [
    (["--filter", "status=exited"], "hullbox: invalid filter 'status': use one of until, "
                                    "label, label!\n"),
    (["--filter", "until=soon"], "hullbox: invalid filter 'until' 'soon': use a duration"),
    (["--volumes", "--filter", "until=10m"], "hullbox: the until filter is not supported "
                                             "with --volumes"),
    (["--filter", "label"], "hullbox: bad format of filter 'label': use key=value\n"),
])
def test_bad_input_is_one_line_and_exit_125(store: Hullbox, args: list[str],
                                           wanted: str) -> None:
    store.ok("create", "--name", "survivor", "busybox", "true")
    result = store("system", "prune", "-f", *args)
    assert result.returncode == 125
    assert result.stderr.startswith(wanted) and len(result.stderr.splitlines()) == 1
    assert store.ok("ps", "-a", "--format", "{{.Names}}") == "survivor\n"
