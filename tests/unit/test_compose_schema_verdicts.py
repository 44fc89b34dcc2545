"""A compose model that passed the schema once is not checked again (loading
an unchanged project skips importing jsonschema); a failing one is checked,
and described, every time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hullbox.compose import schema_verdicts
from hullbox.compose.schema import validate
from hullbox.errors import ComposeFileError

VALID = {"services": {"web": {"image": "busybox", "ports": ["80:80"]}}}
INVALID = {"services": {"web": {"image": "busybox", "restart": ["always"]}}}


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "hullbox" / "compose-schema"


def _validate_in_a_fresh_process(model: object) -> subprocess.CompletedProcess[str]:
    """validate(model) in a new interpreter; prints whether jsonschema got imported."""
    code = ("import sys\nfrom hullbox.compose.schema import validate\n"
            f"validate({model!r}, 'compose.yaml')\nprint('jsonschema' in sys.modules)\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=dict(os.environ), timeout=60, check=False)


def test_a_second_load_of_a_valid_model_does_not_import_jsonschema(cache_home: Path) -> None:
    first = _validate_in_a_fresh_process(VALID)
    assert (first.returncode, first.stdout) == (0, "True\n"), first.stderr
    assert len(os.listdir(cache_home)) == 1
    second = _validate_in_a_fresh_process(VALID)
    assert (second.returncode, second.stdout) == (0, "False\n"), second.stderr


def test_an_invalid_model_is_described_every_time_and_never_remembered(
        cache_home: Path) -> None:
    for _attempt in range(2):
        with pytest.raises(ComposeFileError) as error:
            validate(INVALID, "compose.yaml")
        assert str(error.value) == "compose.yaml: services.web.restart must be a string"
    assert not cache_home.exists()


def test_a_changed_model_is_checked_again(cache_home: Path) -> None:
    validate(VALID, "compose.yaml")
    changed = {"services": {"web": {"image": "busybox", "portz": ["80:80"]}}}
    with pytest.raises(ComposeFileError):
        validate(changed, "compose.yaml")


def test_models_json_would_blur_get_no_verdict() -> None:
    assert schema_verdicts.verdict_key({"services": {1: {}}}) is None
    assert schema_verdicts.verdict_key({"x": float("nan")}) is None
    assert schema_verdicts.verdict_key({"x": 1}) != schema_verdicts.verdict_key({"x": True})
    assert schema_verdicts.verdict_key({"x": 1}) != schema_verdicts.verdict_key({"x": "1"})


def test_an_unwritable_cache_only_costs_the_full_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    validate(VALID, "compose.yaml")
    with pytest.raises(ComposeFileError):
        validate(INVALID, "compose.yaml")


def test_only_the_most_recently_used_verdicts_are_kept(
        cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema_verdicts, "KEEP", 3)
    keys = []
    for number in range(5):
        model = {"services": {f"s{number}": {"image": "busybox"}}}
        validate(model, "compose.yaml")
        key = schema_verdicts.verdict_key(model)
        assert key is not None
        os.utime(cache_home / key, (number, number))  # mtime order = age order
        keys.append(key)
    assert sorted(os.listdir(cache_home)) == sorted(keys[-3:])
