"""``environment: {A: ${X:-y}}`` as a user types it. Docker Compose's YAML
parser (yaml.v3, checked against gopkg.in/yaml.v3 3.0.1) refuses it: ``{``
ends a plain value inside a flow mapping. hullbox refuses it the same way,
in one line that says how to fix it, and loads the quoted form."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from .conftest import hullbox_command


def _config(directory: Path, text: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    (directory / "compose.yaml").write_text(text)
    return subprocess.run([*hullbox_command(), "compose", "config", "--format", "json"],
                          cwd=directory, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", **env}, check=False)


def test_unquoted_interpolation_in_a_flow_mapping_is_one_line_with_the_fix(
        tmp_path: Path) -> None:
    result = _config(tmp_path, "services:\n  web:\n    image: busybox\n"
                     "    environment: {A: ${X:-y}, B: plain}\n", {})
    assert result.returncode == 125
    assert result.stderr == (
        "hullbox: compose.yaml: line 4: did not find expected ',' or '}'; inside { } or [ ] "
        'quote a value that holds braces or ${...}, e.g. {A: "${X:-y}"}\n')
    assert result.stdout == ""


def test_quoted_interpolation_in_flow_collections_loads(tmp_path: Path) -> None:
    result = _config(tmp_path, "services:\n  web:\n    image: busybox\n"
                     '    environment: {A: "${X:-y}", B: a:-b}\n'
                     "    command: [echo, '${X:-y}', $$HOME]\n", {"X": "set"})
    assert result.returncode == 0, result.stderr
    web = json.loads(result.stdout)["services"]["web"]
    assert web["environment"] == {"A": "set", "B": "a:-b"}
    assert web["command"] == ["echo", "set", "$HOME"]
