"""The Python API: scripting containers without a daemon."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hullbox import Engine
from hullbox.errors import CommandNotFound, ImageNotFound

from .conftest import Hullbox

pytestmark = pytest.mark.root


def test_engine_runs_a_container_and_returns_its_output(
    new_store: Callable[[str], Hullbox], busybox_tar: Path
) -> None:
    with Engine(new_store("store").root) as engine:
        engine.images.import_(busybox_tar, "busybox")
        result = engine.containers.run("busybox", ["echo", "hi"], remove=True)
        assert (result.exit_code, result.output) == (0, b"hi\n")
        failing = engine.containers.run("busybox", ["sh", "-c", "echo oops >&2; exit 2"])
        assert (failing.exit_code, failing.stderr) == (2, b"oops\n")
        assert [c.state for c in engine.containers.list(all=True)] == ["exited"]
        with pytest.raises(CommandNotFound):
            engine.containers.run("busybox", ["nope"], remove=True)
        with pytest.raises(ImageNotFound):
            engine.containers.run("alpine", ["true"])
