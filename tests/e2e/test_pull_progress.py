"""What pull and push print: per-layer bars redrawn in place on a terminal
(a pty here), plain lines when the output is a pipe, and rich loaded only
for the terminal."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Hullbox, hullbox_command
from .registry_helpers import Registry, running_registry, unique_image
from .registry_proxy import Proxy, proxied

pytestmark = pytest.mark.root

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    with running_registry(tmp_path_factory.mktemp("registry")) as running:
        yield running


def _on_terminal(hullbox: Hullbox, *args: str) -> tuple[int, str]:
    """Run hullbox with its stdout on a pty; returns its status and every
    byte it drew there."""
    master, slave = pty.openpty()
    env = dict(hullbox.env(), COLUMNS="120", LINES="40", TERM="xterm-256color")
    process = subprocess.Popen([*hullbox_command(), *args], stdout=slave,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    drawn = bytearray()
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    os.close(master)
    status = process.wait(60)
    assert process.stderr is not None
    assert status == 0, process.stderr.read()
    return status, drawn.decode(errors="replace")


def test_pull_and_push_draw_bars_on_a_terminal(
    hullbox: Hullbox, registry: Registry, busybox_tar: Path, tmp_path: Path
) -> None:
    ref_path = "hb/progress:1"
    unique_image(hullbox, busybox_tar, tmp_path, f"{registry.host}/{ref_path}")
    _, pushed = _on_terminal(hullbox, "push", f"{registry.host}/{ref_path}")
    assert "\x1b[" in pushed  # redrawn in place
    assert re.search(r"[0-9a-f]{12}: Pushed", _ANSI.sub("", pushed)), pushed
    hullbox.ok("rmi", f"{registry.host}/{ref_path}")
    # Slowed down so the bars are drawn while the layer is still arriving.
    with proxied(Proxy(registry.host, seconds_per_piece=0.05)) as host:
        ref = f"{host}/{ref_path}"
        _, drawn = _on_terminal(hullbox, "pull", ref)
    text = _ANSI.sub("", drawn)
    assert re.search(r"[0-9a-f]{12}: Downloading\s*━+.*[0-9.]+/[0-9.]+ [kM]B", text), text
    assert re.search(r"[0-9a-f]{12}: Pull complete", text), text
    assert text.rstrip().splitlines()[-1].strip() == ref
    # Piped, the same pull prints plain lines and no escape sequences.
    hullbox.ok("rmi", ref)
    with proxied(Proxy(registry.host)) as host:
        piped = hullbox.ok("pull", f"{host}/{ref_path}")
    assert "\x1b" not in piped and "━" not in piped
    assert re.search(r"^[0-9a-f]{12}: Pull complete$", piped, re.MULTILINE), piped
    hullbox.ok("rmi", f"{host}/{ref_path}")


def test_plain_output_does_not_load_rich() -> None:
    code = ("import sys; import hullbox.cli.main as m; m._register(); "
            "from hullbox.cli.registry_progress import display; d = display(False); "
            "print(type(d).__name__, 'rich' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["PlainLines", "False"]
