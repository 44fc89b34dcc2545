"""Docker's ``--FLAG=false`` spelling, the detach-key scanner, --expose."""

from __future__ import annotations

import pytest

from hullbox.cli.containers import run
from hullbox.cli.docker_bools import rewrite
from hullbox.engine.settings.behaviour import parse_expose
from hullbox.errors import InvalidArgument
from hullbox.runtime.detach import Detacher


@pytest.mark.parametrize(("typed", "parsed"), [
    (["--sig-proxy=false", "busybox"], ["--no-sig-proxy", "busybox"]),
    (["--sig-proxy=TRUE", "busybox"], ["--sig-proxy", "busybox"]),
    (["--sig-proxy", "busybox"], ["--sig-proxy", "busybox"]),
    # values of options are skipped, and nothing after the image is touched
    (["-e", "--sig-proxy=false", "busybox"], ["-e", "--sig-proxy=false", "busybox"]),
    (["--name=x", "-it", "busybox", "sh", "--sig-proxy=false"],
     ["--name=x", "-it", "busybox", "sh", "--sig-proxy=false"]),
    (["--disable-content-trust=0", "busybox"], ["--enable-content-trust", "busybox"]),
])
def test_docker_bool_spelling(typed: list[str], parsed: list[str]) -> None:
    assert rewrite(run, typed) == parsed


def test_docker_bool_needs_true_or_false() -> None:
    with pytest.raises(InvalidArgument, match="true or false"):
        rewrite(run, ["--sig-proxy=maybe", "busybox"])


def test_detacher_holds_a_partial_sequence_and_passes_it_on() -> None:
    seen: list[str] = []
    detacher = Detacher(b"\x10\x11", lambda: seen.append("detached"))
    assert detacher.scan(b"ab\x10") == b"ab"  # ctrl-p held back
    assert detacher.scan(b"c") == b"\x10c"  # not the sequence after all
    assert detacher.scan(b"x\x10\x11y") == b"x"
    assert detacher.detached and seen == ["detached"]


def test_expose_spells_out_ranges() -> None:
    assert parse_expose(["80", "53/udp", "9000-9002/tcp", "80/tcp"]) == [
        "80/tcp", "53/udp", "9000/tcp", "9001/tcp", "9002/tcp"]
    for bad in ("http", "0", "90-80", "80/icmp", "70000"):
        with pytest.raises(InvalidArgument, match="--expose"):
            parse_expose([bad])
