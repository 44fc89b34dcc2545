"""``--network slirp4netns[:OPTIONS]`` as typed."""

from __future__ import annotations

import pytest

from hullbox.engine.settings.network import validate_mode
from hullbox.engine.slirp import DEFAULT_MTU, SlirpMode, is_slirp, parse_mode
from hullbox.errors import InvalidArgument


def test_options() -> None:
    assert parse_mode("slirp4netns") == SlirpMode(False, DEFAULT_MTU)
    assert parse_mode("slirp4netns:allow_host_loopback=true,mtu=1500") == SlirpMode(True, 1500)
    assert is_slirp("slirp4netns:mtu=1500") and not is_slirp("slirp4netnsx")


@pytest.mark.parametrize("mode", ["slirp4netns:allow_host_loopback=yes", "slirp4netns:mtu=0",
                                  "slirp4netns:port_handler=rootlesskit", "slirp4netns:x"])
def test_bad_options_are_one_line(mode: str) -> None:
    with pytest.raises(InvalidArgument, match="slirp4netns takes allow_host_loopback") as found:
        validate_mode(mode)
    assert "\n" not in str(found.value)
