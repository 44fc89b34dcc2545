"""Here-documents in RUN, COPY and ADD: finding ``<<EOF`` words on a line.

A word is a heredoc when it reads ``[fd]<<[-]NAME``. NAME may be quoted in
part or in whole (``<<'EOF'``, ``<<E"O"F``); any quoting turns off variable
expansion of the body, as in sh. ``<<-`` strips leading tabs from the body and
from the terminator line.
"""

from __future__ import annotations

import re

from hullbox.build.ast import Heredoc
from hullbox.build.shell_lex import EMPTY_ENV, ShellLex, ShellLexError

# Go's \d is ASCII only; \s is [\t\n\f\r ].
_HEREDOC = re.compile(r"([0-9]*)<<(-?)[\t\n\f\r ]*([^<]*)\Z")
_LEADING_TABS = re.compile(r"^\t+", re.MULTILINE)
_MAX_FD = 2**64 - 1

# Splitting a whole line must lose nothing: quotes, escapes and unset $VARs
# stay as written, so that each word can be judged on its own afterwards.
_LINE_LEX = ShellLex("\\", raw_quotes=True, raw_escapes=True, skip_unset_env=True)
_NAME_LEX = ShellLex("\\", skip_unset_env=True)
_NAME_LEX_RAW = ShellLex("\\", raw_quotes=True, skip_unset_env=True)


class HeredocError(ValueError):
    """A heredoc word whose quotes do not close."""


def parse_heredoc(word: str) -> Heredoc | None:
    """The heredoc a single word introduces, or None if it is not one."""
    match = _HEREDOC.match(word)
    if match is None:
        return None
    digits, dash, rest = match.groups()
    if not rest:
        return None
    try:
        words = _NAME_LEX.process_words(rest, EMPTY_ENV)
        if len(words) != 1:
            return None  # "<<EOF sh" is not a heredoc word
        raw_words = _NAME_LEX_RAW.process_words(rest, EMPTY_ENV)
    except ShellLexError as exc:
        raise HeredocError(str(exc)) from None
    if len(raw_words) != len(words):
        raise HeredocError(f"internal lexing of heredoc produced inconsistent results: {rest}")
    # Quotes that did quoting vanish from the plain reading only; escaped
    # quotes are in both. So differing counts mean part of the name was quoted.
    name, raw = words[0], raw_words[0]
    quoted = _quote_count(name) != _quote_count(raw)
    return Heredoc(
        name=name,
        file_descriptor=min(int(digits), _MAX_FD) if digits else 0,
        expand=not quoted,
        chomp=dash == "-",
    )


def heredocs_from_line(line: str) -> list[Heredoc]:
    """Every heredoc a (joined) instruction line introduces, left to right."""
    try:
        words = _LINE_LEX.process_words(line, EMPTY_ENV)
    except ShellLexError:
        return []  # BuildKit ignores a line it cannot split: no heredocs
    docs = []
    for word in words:
        doc = parse_heredoc(word)
        if doc is not None:
            docs.append(doc)
    return docs


def chomp_heredoc_content(content: str) -> str:
    """The body of a ``<<-`` heredoc: leading tabs removed from every line."""
    return _LEADING_TABS.sub("", content)


def _quote_count(text: str) -> int:
    return text.count("'") + text.count('"')
