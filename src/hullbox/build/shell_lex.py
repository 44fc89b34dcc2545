"""Variable expansion and word splitting, exactly as BuildKit's shell lexer.

This is what turns ``ENV``/``ARG`` values, ``COPY`` sources, ``WORKDIR`` and the
like into their final text: ``$V``, ``${V}``, ``${V:-x}``, ``${V-x}``,
``${V:+x}``, ``${V+x}``, ``${V:?msg}``, ``${V?msg}``, ``${V#p}``, ``${V##p}``,
``${V%s}``, ``${V%%s}``, ``${V/a/b}``, ``${V//a/b}``, escapes with the
Dockerfile's escape token (``\\`` or a backtick), single and double quotes.

It is not a shell: there is no command substitution, arithmetic or globbing,
and names that the build does not set (``$1``, ``$@``) expand to nothing.

    >>> lex = ShellLex()
    >>> lex.process_word("${NAME:-world}", Env.from_pairs([]))
    'world'
    >>> lex.process_words('a "b c" $X', Env({"X": "d e"}))
    ['a', 'b c', 'd', 'e']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from hullbox.build.gotext import is_space, quote, replace_bad_bytes
from hullbox.build.shell_pattern import (
    PatternError,
    go_expand,
    go_replace_all,
    pattern_regex,
    trim_prefix,
    trim_suffix,
)
from hullbox.errors import InvalidArgument

_SPECIAL_PARAMS = frozenset("@*#?-$!0")
# After "<<", these stay in the same word, so that "<<  EOF" is one heredoc word.
_HEREDOC_SPACE = frozenset(" \t\r")


class ShellLexError(InvalidArgument):
    """A word could not be expanded (unterminated quote, bad ``${}``, ``${V:?}``)."""


class EnvGetter(Protocol):
    """Where the lexer looks variables up."""

    def get(self, name: str) -> str | None:
        """The value of ``name``, or None when it is not set."""
        ...


class Env:
    """A set of variables; on Windows, names compare without case."""

    def __init__(self, values: Mapping[str, str], *, case_insensitive: bool = False) -> None:
        self._fold = case_insensitive
        self._values = {self._key(k): v for k, v in values.items()}

    @classmethod
    def from_pairs(cls, pairs: Iterable[str], *, case_insensitive: bool = False) -> Env:
        """From ``NAME=value`` strings; a bare ``NAME`` is set and empty; last one wins."""
        values: dict[str, str] = {}
        for pair in pairs:
            name, _, value = pair.partition("=")
            values[name] = value
        return cls(values, case_insensitive=case_insensitive)

    def _key(self, name: str) -> str:
        return name.upper() if self._fold else name

    def get(self, name: str) -> str | None:
        """The value of ``name``, or None when it is not set."""
        return self._values.get(self._key(name))


EMPTY_ENV = Env({})


@dataclass
class ProcessResult:
    """One expansion: the text, the same split into words, and the names used."""

    result: str
    words: list[str]
    matched: set[str] = field(default_factory=set)
    unmatched: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class ShellLex:
    """The lexer's options, as BuildKit's ``shell.Lex`` has them.

    ``raw_quotes`` keeps quote characters in the result, ``raw_escapes`` keeps
    escape tokens, ``skip_process_quotes`` treats quotes as plain characters
    (heredoc bodies), ``skip_unset_env`` leaves ``$NAME`` as written when NAME
    is not set.
    """

    escape_token: str = "\\"
    raw_quotes: bool = False
    raw_escapes: bool = False
    skip_process_quotes: bool = False
    skip_unset_env: bool = False

    def process_word(self, word: str, env: EnvGetter) -> str:
        """``word`` with variables expanded and quotes removed, spacing kept."""
        return self.process(word, env).result

    def process_words(self, word: str, env: EnvGetter) -> list[str]:
        """``word`` expanded, then split on white space that was not quoted."""
        return self.process(word, env).words

    def process(self, word: str, env: EnvGetter) -> ProcessResult:
        """Expand ``word``; raises ShellLexError naming the word and the problem."""
        state = _Word(self, env, word)
        try:
            text, words = state.process_stop_on(None, self.raw_escapes)
        except _LexFailure as exc:
            raise ShellLexError(f"failed to process {quote(word)}: {exc}") from None
        return ProcessResult(text, words, state.matched, state.unmatched)


class _LexFailure(Exception):
    """Internal: the reason, before the word is named around it."""


class _Words:
    """Splits expanded text into words on white space that was not quoted."""

    def __init__(self) -> None:
        self.words: list[str] = []
        self.word = ""
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if is_space(ch):
            # An empty quoted word ("") leaves in_word set but adds nothing.
            if self.in_word and self.word:
                self.words.append(self.word)
                self.word = ""
                self.in_word = False
        else:
            self.add_raw_char(ch)

    def add_raw_char(self, ch: str) -> None:
        self.word += ch
        self.in_word = True

    def add_string(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def add_raw_string(self, text: str) -> None:
        self.word += text
        self.in_word = True

    def get_words(self) -> list[str]:
        if self.word:
            self.words.append(self.word)
            self.word = ""
            self.in_word = False
        return self.words


class _Word:
    """The scan of one word: a cursor over its characters plus what was looked up."""

    def __init__(self, lex: ShellLex, env: EnvGetter, source: str) -> None:
        self.lex = lex
        self.env = env
        # Go's text/scanner reads runes: bad UTF-8 comes out as U+FFFD and a
        # byte-order mark at the very start is skipped.
        text = replace_bad_bytes(source)
        self.src = text[1:] if text.startswith("\ufeff") else text
        self.pos = 0
        self.raw_escapes = lex.raw_escapes
        self.matched: set[str] = set()
        self.unmatched: set[str] = set()

    # -- cursor -------------------------------------------------------------

    def peek(self) -> str | None:
        return self.src[self.pos] if self.pos < len(self.src) else None

    def next(self) -> str | None:
        if self.pos >= len(self.src):
            return None
        ch = self.src[self.pos]
        self.pos += 1
        return ch

    # -- the grammar ----------------------------------------------------------

    def process_stop_on(self, stop: str | None, raw_escapes: bool) -> tuple[str, list[str]]:
        """Scan to ``stop`` (consumed) or to the end when ``stop`` is None."""
        saved, self.raw_escapes = self.raw_escapes, raw_escapes
        try:
            return self._scan(stop)
        finally:
            self.raw_escapes = saved

    def _special(self, ch: str) -> Callable[[], str] | None:
        if ch == "$":
            return self.process_dollar
        if ch == "<":
            return self.process_possible_heredoc
        if not self.lex.skip_process_quotes:
            if ch == "'":
                return self.process_single_quote
            if ch == '"':
                return self.process_double_quote
        return None

    def _scan(self, stop: str | None) -> tuple[str, list[str]]:
        result: list[str] = []
        words = _Words()
        escape = self.lex.escape_token
        while (ch := self.peek()) is not None:
            if stop is not None and ch == stop:
                self.pos += 1
                return "".join(result), words.get_words()
            handler = self._special(ch)
            if handler is not None:
                text = handler()
                result.append(text)
                # Expanded variables split into words; quoted text never does.
                if ch == "$":
                    words.add_string(text)
                else:
                    words.add_raw_string(text)
                continue
            self.pos += 1
            if ch == escape:
                if self.raw_escapes:
                    words.add_raw_char(ch)
                    result.append(ch)
                escaped = self.next()
                if escaped is None:
                    break  # an escape token at the very end is dropped
                words.add_raw_char(escaped)
                result.append(escaped)
            else:
                words.add_char(ch)
                result.append(ch)
        if stop is not None:
            raise _LexFailure(f"unexpected end of statement while looking for matching {stop}")
        return "".join(result), words.get_words()

    def process_single_quote(self) -> str:
        # Everything up to the next ' is literal; a ' cannot be escaped inside.
        opening = self.next()
        result = [opening] if self.lex.raw_quotes and opening else []
        while True:
            ch = self.next()
            if ch is None:
                raise _LexFailure(
                    "unexpected end of statement while looking for matching single-quote"
                )
            if ch == "'":
                if self.lex.raw_quotes:
                    result.append(ch)
                return "".join(result)
            result.append(ch)

    def process_double_quote(self) -> str:
        # Literal except $ expansions; the escape token only escapes " $ and itself.
        opening = self.next()
        result = [opening] if self.lex.raw_quotes and opening else []
        escape = self.lex.escape_token
        while True:
            ch = self.peek()
            if ch is None:
                raise _LexFailure(
                    "unexpected end of statement while looking for matching double-quote"
                )
            if ch == '"':
                self.pos += 1
                if self.lex.raw_quotes:
                    result.append(ch)
                return "".join(result)
            if ch == "$":
                result.append(self.process_dollar())
                continue
            self.pos += 1
            if ch == escape:
                if self.raw_escapes:
                    result.append(ch)
                following = self.peek()
                if following is None:
                    continue  # an escape token at the end of the word is dropped
                if following in ('"', "$", escape):
                    self.pos += 1
                    ch = following
            result.append(ch)

    def process_possible_heredoc(self) -> str:
        # "<<" keeps the blanks after it in its word, so "<<  EOF" stays one word.
        self.pos += 1
        if self.peek() != "<":
            return "<"
        self.pos += 1
        start = self.pos
        while (ch := self.peek()) is not None and ch in _HEREDOC_SPACE:
            self.pos += 1
        return "<<" + self.src[start : self.pos]

    def process_name(self) -> str:
        """A variable name: letters, digits, _; or all digits; or one special."""
        start = self.pos
        first = self.peek()
        if first is None:
            return ""
        if first.isdecimal():
            while (ch := self.peek()) is not None and ch.isdecimal():
                self.pos += 1
            return self.src[start : self.pos]
        if first in _SPECIAL_PARAMS:
            self.pos += 1
            return first
        while (ch := self.peek()) is not None and (ch.isalpha() or ch.isdecimal() or ch == "_"):
            self.pos += 1
        return self.src[start : self.pos]

    def get_env(self, name: str) -> str | None:
        value = self.env.get(name)
        (self.matched if value is not None else self.unmatched).add(name)
        return value

    def process_dollar(self) -> str:
        self.pos += 1  # the $
        if self.peek() != "{":
            name = self.process_name()
            if not name:
                return "$"
            value = self.get_env(name)
            if value is None:
                return "$" + name if self.lex.skip_unset_env else ""
            return value

        self.pos += 1  # the {
        first = self.peek()
        if first is None:
            raise _LexFailure("syntax error: missing '}'")
        if first in "{}:":
            raise _LexFailure("syntax error: bad substitution")
        name = self.process_name()
        ch = self.next()
        # Go prints a missing character (EOF) as U+FFFD in the error message.
        modifier = ch or "\ufffd"
        if ch == "}":
            value = self.get_env(name)
            if value is None:
                return "${" + name + "}" if self.lex.skip_unset_env else ""
            return value
        if ch == ":":
            # Whatever follows ":" is read as a modifier's word first, and only
            # then refused if it is not one of - + ? (BuildKit's fallthrough).
            ch = self.next()
            modifier += ch or "\ufffd"
            return self._modifier(name, ch, modifier, null_is_unset=True)
        if ch is not None and ch in "+-?#%":
            return self._modifier(name, ch, modifier, null_is_unset=False)
        if ch == "/":
            return self._replace(name)
        raise _LexFailure(f"unsupported modifier ({modifier}) in substitution")

    def _until(self, stop: str, raw_escapes: bool, missing: str) -> str:
        try:
            text, _ = self.process_stop_on(stop, raw_escapes)
        except _LexFailure:
            if self.peek() is None:
                raise _LexFailure(missing) from None
            raise
        return text

    def _modifier(self, name: str, op: str | None, modifier: str, *, null_is_unset: bool) -> str:
        # Patterns (# %) keep their escapes: they are read again as a pattern.
        pattern_op = op in ("#", "%")
        if null_is_unset and pattern_op:
            raise _LexFailure(f"unsupported modifier ({modifier}) in substitution")
        word = self._until("}", pattern_op, "syntax error: missing '}'")
        value = self.get_env(name)
        if value is None and self.lex.skip_unset_env:
            return "${" + name + modifier + word + "}"
        unset = value is None or (null_is_unset and value == "")
        if op == "-":
            return word if unset or value is None else value
        if op == "+":
            return "" if unset else word
        if op == "?":
            if value is None:
                raise _LexFailure(f"{name}: {word or 'is not allowed to be unset'}")
            if null_is_unset and value == "":
                raise _LexFailure(f"{name}: {word or 'is not allowed to be empty'}")
            return value
        if op == "#" or op == "%":
            # # and % take the shortest match, ## and %% the longest.
            greedy = word.startswith(op)
            if greedy:
                word = word[1:]
            try:
                if op == "%":
                    return trim_suffix(word, value or "", greedy)
                return trim_prefix(word, value or "", greedy)
            except PatternError as exc:
                raise _LexFailure(f"invalid pattern ({word}) in substitution: {exc}") from None
        raise _LexFailure(f"unsupported modifier ({modifier}) in substitution")

    def _replace(self, name: str) -> str:
        replace_all = self.peek() == "/"
        if replace_all:
            self.pos += 1
        pattern = self._until("/", True, "syntax error: missing '/' in ${}")
        replacement = self._until("}", True, "syntax error: missing '}'")
        value = self.get_env(name)
        if value is None and self.lex.skip_unset_env:
            return "${" + name + "/" + pattern + "/" + replacement + "}"
        try:
            regex = pattern_regex(pattern, greedy=True, anchored=False)
        except PatternError as exc:
            raise _LexFailure(f"invalid pattern ({pattern}) in substitution: {exc}") from None
        text = value or ""
        if replace_all:
            return go_replace_all(regex, text, lambda m: go_expand(replacement, m))
        match = regex.search(text)
        if match is None:
            return text
        return text[: match.start()] + replacement + text[match.end() :]
