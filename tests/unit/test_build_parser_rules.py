"""Parser behaviour the shared corpus does not cover: heredocs, ONBUILD,
directives, flags, line endings and limits, each as BuildKit behaves."""

from __future__ import annotations

import pytest

from hullbox.build.ast import Heredoc
from hullbox.build.heredoc import (
    HeredocError,
    chomp_heredoc_content,
    heredocs_from_line,
    parse_heredoc,
)
from hullbox.build.line_parsers import extract_builder_flags, parse_words
from hullbox.build.parser import DockerfileSyntaxError, ParseResult, parse


def dump(text: bytes | str) -> str:
    return parse(text).ast.dump()


def parsed(text: bytes | str) -> ParseResult:
    return parse(text)


# -- heredocs ------------------------------------------------------------------


def test_run_heredoc_body_and_lines() -> None:
    ast = parsed("FROM alpine\nRUN <<EOF\necho a\n  echo b\nEOF\nRUN true\n").ast
    run = ast.children[1]
    assert run.heredocs == [Heredoc(name="EOF", content="echo a\n  echo b\n")]
    assert (run.start_line, run.end_line) == (2, 5)
    assert ast.children[2].start_line == 6
    # The body is not part of the dump; the heredoc word is the shell-form command.
    assert ast.dump().splitlines()[1] == '(run "<<EOF")'


def test_heredoc_body_keeps_comments_and_crlf() -> None:
    doc = parsed("FROM a\r\nRUN <<X\r\n# not a comment\r\nX\r\n").ast.children[1].heredocs[0]
    assert doc.content == "# not a comment\r\n"


def test_copy_several_heredocs_read_in_order() -> None:
    run = parsed("FROM a\nCOPY <<ONE <<TWO /dest/\nTWO\nONE\nONE\nTWO\n").ast.children[1]
    assert [(d.name, d.content) for d in run.heredocs] == [("ONE", "TWO\n"), ("TWO", "ONE\n")]
    assert run.args() == ["<<ONE", "<<TWO", "/dest/"]


def test_chomp_strips_tabs_from_terminator_not_body() -> None:
    doc = parsed("FROM a\nRUN <<-END\n\tx\n\t\tEND\n").ast.children[1].heredocs[0]
    assert doc == Heredoc(name="END", chomp=True, content="\tx\n")
    assert chomp_heredoc_content("\tx\n\t\ty\nz\t\n") == "x\ny\nz\t\n"


@pytest.mark.parametrize(
    ("word", "name", "expand"),
    [
        ("<<EOF", "EOF", True),
        ("<<'EOF'", "EOF", False),
        ('<<"EOF"', "EOF", False),
        ('<<E"O"F', "EOF", False),
        ("<<-EOF", "EOF", True),
        ("<< EOF", "EOF", True),
        ("<<x'y'", "xy", False),
        ("<<x\\'y", "x'y", True),  # an escaped quote does not quote
        ("<<'a'b\\'c", "ab'c", False),
        ("<<'two words'", "two words", False),
        ("<<$VAR", "$VAR", True),  # not expanded: names are never expanded
    ],
)
def test_heredoc_word(word: str, name: str, expand: bool) -> None:
    doc = parse_heredoc(word)
    assert doc is not None
    assert (doc.name, doc.expand) == (name, expand)


@pytest.mark.parametrize("word", ["", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "<<EOF sh"])
def test_not_a_heredoc_word(word: str) -> None:
    assert parse_heredoc(word) is None


@pytest.mark.parametrize("word", ["<<'EOF", '<<"EOF', "<<EOF'", '<<EOF"'])
def test_unclosed_heredoc_quote_is_an_error(word: str) -> None:
    with pytest.raises(HeredocError):
        parse_heredoc(word)


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("RUN <<EOF", ["EOF"]),
        ("RUN <<- EOF", []),  # only blanks may follow "<<" inside the word
        ("RUN << -EOF", ["-EOF"]),
        ("RUN <<  EOF  > /out", ["EOF"]),
        ("RUN 3<<EOF", ["EOF"]),
        ("RUN <<A <<B", ["A", "B"]),
        ("RUN '<<EOF'", []),
        ('RUN "<<EOF"', []),
        ("RUN <<EOF python3", ["EOF"]),
    ],
)
def test_heredocs_on_a_line(line: str, names: list[str]) -> None:
    assert [doc.name for doc in heredocs_from_line(line)] == names


def test_heredoc_file_descriptor() -> None:
    docs = heredocs_from_line("RUN 3<<EOF")
    assert docs[0].file_descriptor == 3


def test_no_heredoc_in_json_form_or_other_instructions() -> None:
    ast = parsed('FROM a\nRUN ["<<EOF"]\nUSER <<EOF\nEOF\n').ast
    assert [c.heredocs for c in ast.children] == [[], [], [], []]
    assert ast.children[3].value == "eof"  # read as an (unknown) instruction


def test_onbuild_heredoc_belongs_to_onbuild() -> None:
    onbuild = parsed("FROM a\nONBUILD RUN <<EOF\nls\nEOF\n").ast.children[1]
    assert onbuild.heredocs == [Heredoc(name="EOF", content="ls\n")]


def test_unterminated_heredoc_points_at_instruction() -> None:
    with pytest.raises(DockerfileSyntaxError) as err:
        parse("FROM a\nRUN <<EOF\nls\n")
    assert (err.value.start_line, err.value.end_line, err.value.message) == (
        2,
        3,
        "unterminated heredoc",
    )


# -- instructions and their arguments ------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ONBUILD RUN echo test", '(onbuild (run "echo test"))'),
        ('ONBUILD RUN ["echo", "test"]', '(onbuild (run "echo" "test"))'),
        ("ONBUILD COPY --from=x . /", '(onbuild (copy ["--from=x"] "." "/"))'),
        ("ONBUILD", "(onbuild)"),
        ("onbuild onbuild run x", '(onbuild (onbuild (run "x")))'),
        (
            "FROM --platform=linux/arm64 img AS build",
            '(from ["--platform=linux/arm64"] "img" "AS" "build")',
        ),
        ("MAINTAINER Jane Doe <j@d>", '(maintainer "Jane Doe <j@d>")'),
        ("STOPSIGNAL SIGKILL", '(stopsignal "SIGKILL")'),
        ("WORKDIR /a b", '(workdir "/a b")'),
        ('SHELL ["/bin/sh", "-c"]', '(shell "/bin/sh" "-c")'),
        ("HEALTHCHECK NONE", '(healthcheck "NONE")'),
        ('LABEL a=b c="d e"', '(label "a" "b" "=" "c" "\\"d e\\"" "=")'),
        ("ARG A=1 B", '(arg "A=1" "B")'),
        ("ARG", "(arg)"),
        ("EXPOSE 80/tcp  443", '(expose "80/tcp" "443")'),
        ("FOO bar baz", '(foo "")'),
        ("RuN   echo", '(run "echo")'),
        (
            "RUN --mount=type=cache,target=/root/.cache --network=none make",
            '(run ["--mount=type=cache,target=/root/.cache" "--network=none"] "make")',
        ),
        ('COPY --chown="a b" x y', '(copy ["--chown=a b"] "x" "y")'),
        ("CMD [1, 2]", None),
        ('CMD ["a", NaN]', '(cmd "[\\"a\\", NaN]")'),
        ('CMD ["\\ud800"]', '(cmd "\ufffd")'),
        ('CMD ["a"] trailing', '(cmd "[\\"a\\"] trailing")'),
    ],
)
def test_instruction_dump(line: str, expected: str | None) -> None:
    if expected is None:
        with pytest.raises(DockerfileSyntaxError, match="strings only"):
            dump(line)
    else:
        assert dump(line) == expected


def test_env_new_form_needs_equals_everywhere() -> None:
    with pytest.raises(DockerfileSyntaxError, match=r"can't find = in \"b\""):
        parse("ENV a=1 b\n")


def test_label_needs_a_value() -> None:
    with pytest.raises(DockerfileSyntaxError, match="LABEL must have two arguments"):
        parse("LABEL onlykey\n")


def test_json_attribute_and_flags_are_kept() -> None:
    ast = parsed('FROM a\nCMD ["x"]\nCMD x\nCOPY --link a b\n').ast
    assert [c.is_json for c in ast.children] == [False, True, False, False]
    assert ast.children[3].flags == ["--link"]
    assert ast.children[3].original == "COPY --link a b"


@pytest.mark.parametrize(
    ("text", "rest", "flags"),
    [
        ("--a=1 --b x", "x", ["--a=1", "--b"]),
        ("--a=1 -- --b", " --b", ["--a=1"]),  # split_command trims the rest
        ("-x --a", "-x --a", []),
        ("--a='x y'z rest", "rest", ["--a=x yz"]),
        ('--a=\\"q', "", ['--a="q']),
        ("--a=é x", "x", ["--a=\xc3\xa9"]),  # BuildKit reads flags byte by byte
    ],
)
def test_extract_builder_flags(text: str, rest: str, flags: list[str]) -> None:
    assert extract_builder_flags(text) == (rest, flags)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("foo", ["foo"]),
        ("foo bar", ["foo", "bar"]),
        ("foo\\ bar", ["foo\\ bar"]),
        ("foo bar 'abc xyz'", ["foo", "bar", "'abc xyz'"]),
        ('a "b c"', ["a", '"b c"']),
        ('föo bàr "âbc xÿz"', ["föo", "bàr", '"âbc xÿz"']),
    ],
)
def test_parse_words_keeps_quotes(text: str, words: list[str]) -> None:
    assert parse_words(text, "\\") == words


# -- directives, continuation, line endings --------------------------------------


def test_directives_are_reported_and_not_comments() -> None:
    result = parsed("# syntax=docker/dockerfile:1\n# check=skip=all\n# note\nFROM a\n")
    assert [(d.name, d.value, d.line) for d in result.directives] == [
        ("syntax", "docker/dockerfile:1", 1),
        ("check", "skip=all", 2),
    ]
    assert result.ast.children[0].prev_comment == ["note"]


def test_directive_after_instruction_is_a_comment() -> None:
    result = parsed("FROM a\n# escape=`\nRUN a \\\n b\n")
    assert result.escape_token == "\\"
    assert result.ast.children[1].args() == ["a  b"]


def test_backtick_escape() -> None:
    result = parsed("# escape=`\nFROM a\nRUN dir c:\\ `\n  /b\n")
    assert result.escape_token == "`"
    assert result.ast.children[1].args() == ["dir c:\\   /b"]


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("# escape=x\nFROM a\n", "invalid escape token 'x' does not match ` or \\", 1),
        ("# syntax=a\n# syntax=b\nFROM a\n", "only one syntax parser directive can be used", 2),
        ("", "file with no instructions", 0),
        ("# only\n\n", "file with no instructions", 2),
    ],
)
def test_rejected(text: str, message: str, line: int) -> None:
    with pytest.raises(DockerfileSyntaxError) as err:
        parse(text)
    assert (err.value.message, err.value.start_line) == (message, line)


def test_empty_continuation_lines_warn() -> None:
    result = parsed(
        "FROM a\nRUN one \\\n\n  two\nRUN three \\\n# comment\n  four\nRUN five \\\n\n six\n"
    )
    assert [w.message for w in result.warnings] == [
        "Empty continuation line found in: RUN one   two",
        "Empty continuation line found in: RUN five  six",
    ]
    assert [w.line for w in result.warnings] == [4, 10]


def test_bom_crlf_and_trailing_escape() -> None:
    assert dump(b"\xef\xbb\xbfFROM a\r\nRUN b \\\r\n  c\r\nRUN d \\") == (
        '(from "a")\n(run "b   c")\n(run "d")'
    )


def test_invalid_utf8_is_quoted_like_go() -> None:
    assert dump(b"RUN a\xffb \xe2\x99\xa5\n") == '(run "a\\xffb \xe2\x99\xa5")'.encode(
        "latin-1"
    ).decode("utf-8")


def test_line_length_limit() -> None:
    ok = "LABEL a=" + "x" * (65535 - len("LABEL a=")) + "\n"
    assert parsed("FROM a\n" + ok).ast.children[1].value == "label"
    with pytest.raises(DockerfileSyntaxError) as err:
        parse("FROM a\n" + ok.replace("\n", "x\n"))
    assert err.value.message == "dockerfile line greater than max allowed size of 65535"
    assert err.value.start_line == 2


def test_error_line_spans_continuation() -> None:
    with pytest.raises(DockerfileSyntaxError) as err:
        parse("FROM a\n\nENV \\\n  PATH\n")
    assert (err.value.start_line, err.value.end_line) == (3, 4)
    assert err.value.at("Dockerfile") == "Dockerfile:3: ENV must have two arguments"
