"""Variable expansion against BuildKit's lexer tables (envVarTest, wordsTest).

../shared/corpora/dockerfile-shell-lex/FORMAT.md explains the tables. The
environment is the one BuildKit's lex_test.go sets up. Lines marked W are
Windows cases, where variable names compare without regard to case; they run
here with a case-insensitive environment rather than being skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hullbox.build.shell_lex import Env, ShellLex, ShellLexError

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "dockerfile-shell-lex"
MISSING = f"BuildKit shell-lexer tables not found at {CORPUS}"
TABLE_ENV = ["PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="]


def _lines(name: str) -> list[tuple[int, str]]:
    path = CORPUS / name
    if not path.is_file():
        return []
    return list(enumerate(path.read_text(encoding="utf-8").split("\n"), 1))


def _env_var_cases() -> list[object]:
    lines = _lines("envVarTest")
    if not lines:
        return [pytest.param("", "", "", id="missing", marks=pytest.mark.skip(reason=MISSING))]
    cases: list[object] = []
    for number, line in lines:
        if line.startswith("#") or not line.strip():
            continue
        platform, source, expected = (part.strip() for part in line.strip().split("|"))
        cases.append(pytest.param(platform, source, expected, id=f"line{number}-{platform}"))
    return cases


def _words_cases() -> list[object]:
    lines = _lines("wordsTest")
    if not lines:
        return [pytest.param([], "", [], id="missing", marks=pytest.mark.skip(reason=MISSING))]
    cases: list[object] = []
    env: list[str] = []
    for number, line in lines:
        if not line or line.startswith("#"):
            continue
        if line.startswith("ENV "):
            # The table's env accumulates; each case sees what came before it.
            env = [*env, line[3:].lstrip(" ")]
            continue
        source, expected = line.split("|")
        words = expected.lstrip(" ").split(",")
        cases.append(pytest.param(env, source.strip(), words, id=f"line{number}"))
    return cases


@pytest.mark.parametrize(("platform", "source", "expected"), _env_var_cases())
def test_env_var_table(platform: str, source: str, expected: str) -> None:
    env = Env.from_pairs(TABLE_ENV, case_insensitive=platform == "W")
    lex = ShellLex("\\")
    if expected == "error":
        with pytest.raises(ShellLexError):
            lex.process_word(source, env)
    else:
        assert lex.process_word(source, env) == expected


@pytest.mark.parametrize(("env", "source", "expected"), _words_cases())
def test_words_table(env: list[str], source: str, expected: list[str]) -> None:
    lex = ShellLex("\\")
    try:
        words = lex.process_words(source, Env.from_pairs(env))
    except ShellLexError:
        words = ["error"]
    assert words == expected


# -- modifiers and options the tables do not exercise ----------------------------


@pytest.mark.parametrize(
    ("word", "values", "expected"),
    [
        ("${V#*/}", {"V": "a/b/c"}, "b/c"),
        ("${V##*/}", {"V": "a/b/c"}, "c"),
        ("${V%/*}", {"V": "a/b/c"}, "a/b"),
        ("${V%%/*}", {"V": "a/b/c"}, "a"),
        ("${V#?}", {"V": "abc"}, "bc"),
        ("${V#x}", {"V": "abc"}, "abc"),
        ("${V#}", {"V": "abc"}, "abc"),
        ("${V#\\*}", {"V": "*a"}, "a"),
        ("${V%%\\**}", {"V": "ab*cd*"}, "ab"),
        ("${V#().[]{\\}+|^$}", {"V": "().[]{}+|^$z"}, "z"),
        ("${V#$P}", {"V": "xxy", "P": "x"}, "xy"),
        ("${U%x}", {}, ""),
        ("${V/b/X}", {"V": "abab"}, "aXab"),
        ("${V//b/X}", {"V": "abab"}, "aXaX"),
        ("${V//?/-}", {"V": "abc"}, "---"),
        ("${V/\\//:}", {"V": "a/b"}, "a:b"),
        ("${V//\\//\\/}", {"V": "/a/b"}, "\\/a\\/b"),
        ("${V/$N/$R}", {"V": "http://x", "N": "http://", "R": "https://"}, "https://x"),
        ("${V///}", {"V": "ab"}, "ab"),
        ("${V-d} ${E-d} ${U-d}", {"V": "v", "E": ""}, "v  d"),
        ("${V:-d} ${E:-d} ${U:-d}", {"V": "v", "E": ""}, "v d d"),
        ("${V+a} ${E+b} ${U+c}", {"V": "v", "E": ""}, "a b "),
        ("${V:+a} ${E:+b} ${U:+c}", {"V": "v", "E": ""}, "a  "),
        ("${E?msg}", {"E": ""}, ""),
    ],
)
def test_modifiers(word: str, values: dict[str, str], expected: str) -> None:
    assert ShellLex().process_word(word, Env(values)) == expected


@pytest.mark.parametrize(
    ("word", "values", "message"),
    [
        ("${V:?must be set $X}", {"X": "!"}, "V: must be set !"),
        ("${V:?}", {"V": ""}, "V: is not allowed to be empty"),
        ("${V?}", {}, "V: is not allowed to be unset"),
        ("${V:#x}", {"V": "x"}, "unsupported modifier (:#) in substitution"),
        ("${V=x}", {}, "unsupported modifier (=) in substitution"),
        ("${V//x}", {"V": "x"}, "syntax error: missing '/' in ${}"),
        ("${V:-x", {}, "syntax error: missing '}'"),
        ("${V#\\x}", {"V": "x"}, "invalid escape '\\x'"),
    ],
)
def test_expansion_errors(word: str, values: dict[str, str], message: str) -> None:
    with pytest.raises(ShellLexError) as err:
        ShellLex().process_word(word, Env(values))
    assert str(err.value).startswith("failed to process ")
    assert message in str(err.value)


def test_backtick_escape_token() -> None:
    lex = ShellLex("`")
    assert lex.process_word("a`$B c\\d", Env({"B": "x"})) == "a$B c\\d"
    assert lex.process_word('"`"`$"', Env({})) == '"$'


def test_matched_and_unmatched_names() -> None:
    result = ShellLex().process("${A:-x} $B ${C}", Env({"A": "1"}))
    assert (result.result, result.matched, result.unmatched) == ("1  ", {"A"}, {"B", "C"})


def test_skip_unset_env_and_raw_quotes() -> None:
    lex = ShellLex(skip_unset_env=True, raw_quotes=True)
    env = Env({"SET": "v"})
    assert lex.process_word("$SET $UNSET ${UNSET} ${UNSET:-d} 'q'", env) == (
        "v $UNSET ${UNSET} ${UNSET:-d} 'q'"
    )


def test_skip_process_quotes() -> None:
    lex = ShellLex(skip_process_quotes=True)
    assert lex.process_word("echo '$A' \"$A\"", Env({"A": "1"})) == "echo '1' \"1\""


def test_heredoc_marker_keeps_its_blanks_in_one_word() -> None:
    assert ShellLex().process_words("cat <<  EOF >out", Env({})) == ["cat", "<<  EOF", ">out"]


def test_windows_env_ignores_case() -> None:
    env = Env.from_pairs(["Path=C:\\x"], case_insensitive=True)
    assert ShellLex().process_word("$PATH", env) == "C:\\x"
    assert Env.from_pairs(["A=1", "A=2", "B"]).get("A") == "2"
    assert Env.from_pairs(["B"]).get("B") == ""
