"""The Dockerfile parser against BuildKit's own parser corpus.

../shared/corpora/dockerfile-parser holds BuildKit's test Dockerfiles (see its
FORMAT.md): every case in testfiles/ must dump byte for byte as its ``result``,
every case in testfiles-negative/ must be refused, and testfile-line/ checks
the line ranges that errors will point at.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hullbox.build.parser import DockerfileSyntaxError, main, parse

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "dockerfile-parser"
MISSING = f"BuildKit parser corpus not found at {CORPUS}"


def _cases(folder: str) -> list[object]:
    root = CORPUS / folder
    if not root.is_dir():
        return [pytest.param(None, id=f"{folder}-missing", marks=pytest.mark.skip(reason=MISSING))]
    return [pytest.param(path, id=path.name) for path in sorted(root.iterdir()) if path.is_dir()]


@pytest.mark.parametrize("case", _cases("testfiles"))
def test_dump_matches_buildkit(case: Path) -> None:
    result = parse((case / "Dockerfile").read_bytes())
    expected = (case / "result").read_bytes()
    assert (result.ast.dump() + "\n").encode("utf-8", "surrogateescape") == expected


@pytest.mark.parametrize("case", _cases("testfiles-negative"))
def test_rejected_like_buildkit(case: Path) -> None:
    with pytest.raises(DockerfileSyntaxError):
        parse((case / "Dockerfile").read_bytes())


def test_line_numbers() -> None:
    dockerfile = CORPUS / "testfile-line" / "Dockerfile"
    if not dockerfile.is_file():
        pytest.skip(MISSING)
    ast = parse(dockerfile.read_bytes()).ast
    assert (ast.start_line, ast.end_line) == (5, 31)
    assert [(c.start_line, c.end_line) for c in ast.children] == [(5, 5), (11, 12), (17, 31)]


def test_rejection_message_names_problem_and_line(capsys: pytest.CaptureFixture[str]) -> None:
    dockerfile = CORPUS / "testfiles-negative" / "env_no_value" / "Dockerfile"
    if not dockerfile.is_file():
        pytest.skip(MISSING)
    assert main([str(dockerfile)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"{dockerfile}:3: ENV must have two arguments\n"


def test_cli_prints_dump(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM busybox\nCOPY --chown=1:1 a /b\nONBUILD RUN make\n")
    run = subprocess.run(
        [sys.executable, "-m", "hullbox.build.parser", str(dockerfile)],
        capture_output=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout == (
        b'(from "busybox")\n(copy ["--chown=1:1"] "a" "/b")\n(onbuild (run "make"))\n'
    )


def test_cli_rejects_with_one_line(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM busybox\nRUN <<EOF\necho never closed\n")
    run = subprocess.run(
        [sys.executable, "-m", "hullbox.build.parser", str(dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 1
    assert run.stdout == ""
    assert run.stderr == f"{dockerfile}:2: unterminated heredoc\n"
