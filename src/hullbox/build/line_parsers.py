"""How each instruction's arguments are cut into tokens (BuildKit's dispatch table).

    FROM, EXPOSE                    split on blanks, quotes untouched
    ADD, COPY, VOLUME               a JSON string array, else split on blanks
    RUN, CMD, ENTRYPOINT, SHELL     a JSON string array, else the rest as one string
    ENV, LABEL                      key, value, separator triples (``k=v`` or legacy ``k v``)
    ARG                             words, quotes kept
    MAINTAINER, USER, WORKDIR,      the rest as one string
    STOPSIGNAL
    HEALTHCHECK                     the type word (CMD, NONE), then as CMD
    ONBUILD                         a nested instruction
    anything else                   one empty token: unknown keywords are the
                                    next stage's business, not the parser's

Variables are not expanded here and escapes are kept as written; that happens
per instruction, later, with ``hullbox.build.shell_lex``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable

from hullbox.build.ast import Node
from hullbox.build.directives import Directives
from hullbox.build.gotext import (
    decode,
    encode,
    is_space,
    quote,
    replace_bad_bytes,
    to_lower,
    trim_left_space,
    trim_space,
)

# BuildKit's reWhitespace: ASCII blanks only (not \n, not Unicode spaces).
_WHITESPACE = re.compile(r"[\t\v\f\r ]+")
# ONBUILD ONBUILD ... nests; the next stage refuses it, the parser need only not
# blow Python's stack on a hostile line.
_MAX_NESTING = 64

Attrs = dict[str, bool]
LineParser = Callable[[str, Directives, int], tuple[Node | None, Attrs]]


class LineError(ValueError):
    """An instruction's arguments cannot be parsed; the message names why."""


NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only"


def new_node_from_line(
    line: str, directives: Directives, comments: list[str] | None = None, depth: int = 0
) -> Node:
    """The node for one logical line: keyword, flags and parsed arguments."""
    keyword, flags, rest = split_command(line, directives)
    command = to_lower(keyword)
    parse = DISPATCH.get(command, parse_ignore)
    next_node, attrs = parse(rest, directives, depth)
    return Node(
        value=command,
        next=next_node,
        attributes=attrs,
        original=line,
        flags=flags,
        prev_comment=list(comments or []),
    )


def split_command(line: str, directives: Directives) -> tuple[str, list[str], str]:
    """The keyword, the leading ``--flags`` and the rest of a logical line."""
    parts = _WHITESPACE.split(trim_space(line), maxsplit=1)
    rest, flags = "", list[str]()
    if len(parts) == 2:
        rest, flags = extract_builder_flags(parts[1], directives.escape_token)
    return parts[0], flags, trim_space(rest)


def extract_builder_flags(line: str, escape: str = "\\") -> tuple[str, list[str]]:
    """Take the leading ``--name[=value]`` words; return the rest and the flags.

    Quotes are removed and escapes applied inside a flag word. A bare ``--``
    ends the flags and is dropped. BuildKit scans this byte by byte, each byte
    taken as one character (so a non-ASCII byte becomes the Latin-1 character
    of the same number, and the bytes 0x85 and 0xA0 count as blanks); this does
    the same so that flags come out as BuildKit's do.
    """
    data = encode(line)
    esc = ord(escape)
    words: list[str] = []
    word: list[str] = []
    in_word = in_quote = blank_ok = False
    quote_ch = 0
    pos, end = 0, len(data)
    while pos < end:
        byte = data[pos]
        if not in_word and not in_quote:
            if is_space(chr(byte)):
                pos += 1
                continue
            if byte != 0x2D or pos + 1 == end or data[pos + 1] != 0x2D:  # not "--"
                return decode(data[pos:]), words
            in_word = True
        if in_word:
            if is_space(chr(byte)):
                in_word = False
                text = "".join(word)
                if text == "--":
                    return decode(data[pos:]), words
                if blank_ok or text:
                    words.append(text)
                word, blank_ok = [], False
                pos += 1
                continue
            if byte in (0x22, 0x27):  # " or '
                quote_ch, blank_ok = byte, True
                in_word, in_quote = False, True
                pos += 1
                continue
            if byte == esc:
                if pos + 1 == end:
                    pos += 1
                    continue  # an escape at the very end is dropped
                pos += 1
                byte = data[pos]
            word.append(chr(byte))
            pos += 1
            continue
        # in a quote
        if byte == quote_ch:
            in_quote, in_word = False, True
            pos += 1
            continue
        if byte == esc:
            if pos + 1 == end:
                in_quote, in_word = False, True
                pos += 1
                continue
            pos += 1
            byte = data[pos]
        word.append(chr(byte))
        pos += 1
    if in_word or in_quote:
        text = "".join(word)
        if text != "--" and (blank_ok or text):
            words.append(text)
    return "", words


def parse_words(rest: str, escape: str) -> list[str]:
    """Split on blanks, keeping quotes and escapes in the words (ARG, ENV k=v)."""
    words: list[str] = []
    word: list[str] = []
    in_word = in_quote = blank_ok = False
    quote_ch = ""
    # Go decodes runes here, so each bad byte becomes U+FFFD.
    text = replace_bad_bytes(rest)
    pos, end = 0, len(text)
    while pos < end:
        ch = text[pos]
        if not in_word and not in_quote:
            if is_space(ch):
                pos += 1
                continue
            in_word = True
        if in_word:
            if is_space(ch):
                in_word = False
                if blank_ok or word:
                    words.append("".join(word))
                word, blank_ok = [], False
                pos += 1
                continue
            if ch in ("'", '"'):
                quote_ch, blank_ok = ch, True
                in_word, in_quote = False, True
            if ch == escape:
                if pos + 1 == end:
                    pos += 1
                    continue  # an escape at the very end is dropped
                # Outside quotes the escape and what it escapes both stay.
                word.append(ch)
                pos += 1
                ch = text[pos]
            word.append(ch)
            pos += 1
            continue
        # in a quote
        if ch == quote_ch:
            in_quote, in_word = False, True
        # Nothing escapes inside single quotes.
        if ch == escape and quote_ch != "'":
            if pos + 1 == end:
                in_quote, in_word = False, True
                pos += 1
                continue
            word.append(ch)
            pos += 1
            ch = text[pos]
        word.append(ch)
        pos += 1
    if (in_word or in_quote) and (blank_ok or word):
        words.append("".join(word))
    return words


def _chain(values: list[str]) -> Node | None:
    """Values as a ``next`` chain of nodes."""
    head: Node | None = None
    for value in reversed(values):
        head = Node(value=value, next=head)
    return head


def parse_ignore(rest: str, directives: Directives, depth: int) -> tuple[Node | None, Attrs]:
    """Unknown keyword: one empty token, so the dump shows ``(foo "")``."""
    return Node(), {}


def parse_sub_command(rest: str, directives: Directives, depth: int) -> tuple[Node | None, Attrs]:
    """ONBUILD: the rest is an instruction of its own."""
    if not rest:
        return None, {}
    if depth >= _MAX_NESTING:
        raise LineError("ONBUILD nested too deeply")
    child = new_node_from_line(rest, directives, None, depth + 1)
    return Node(children=[child]), {}


def _parse_name_val(rest: str, key: str, directives: Directives) -> Node | None:
    words = parse_words(rest, directives.escape_token)
    if not words:
        return None
    # Legacy "ENV name value...": the first word has no "=", and the value is
    # the rest of the line verbatim.
    if "=" not in words[0]:
        parts = _WHITESPACE.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise LineError(f"{key} must have two arguments")
        return _chain([parts[0], parts[1], ""])
    values: list[str] = []
    for word in words:
        if "=" not in word:
            raise LineError(
                f"Syntax error - can't find = in {quote(word)}. Must be of the form: name=value"
            )
        name, _, value = word.partition("=")
        values += [name, value, "="]
    return _chain(values)


def parse_env(rest: str, directives: Directives, depth: int) -> tuple[Node | None, Attrs]:
    """ENV: ``name=value ...`` or the legacy ``name value``."""
    return _parse_name_val(rest, "ENV", directives), {}


def parse_label(rest: str, directives: Directives, depth: int) -> tuple[Node | None, Attrs]:
    """LABEL: ``key=value ...`` or the legacy ``key value``."""
    return _parse_name_val(rest, "LABEL", directives), {}


def parse_name_or_name_val(
    rest: str, directives: Directives, depth: int
) -> tuple[Node | None, Attrs]:
    """ARG: each word (``name`` or ``name=value``) as written, quotes included."""
    return _chain(parse_words(rest, directives.escape_token)), {}


def parse_strings_whitespace_delimited(
    rest: str, directives: Directives, depth: int
) -> tuple[Node | None, Attrs]:
    """FROM, EXPOSE, and ADD/COPY/VOLUME when not JSON: split on blanks."""
    if not rest:
        return None, {}
    return _chain(_WHITESPACE.split(rest)), {}


def parse_string(rest: str, directives: Directives, depth: int) -> tuple[Node | None, Attrs]:
    """The rest of the line as one token."""
    if not rest:
        return None, {}
    return Node(value=rest), {}


class _NotJSON(Exception):
    """The text is not a JSON array; the caller falls back to another form."""


def _reject_constant(name: str) -> object:
    raise _NotJSON(name)  # NaN and Infinity are not JSON to Go


def _finite_number(text: str) -> float:
    number = float(text)
    if math.isinf(number):
        raise _NotJSON(text)  # Go cannot hold it in a float64
    return number


def parse_json(rest: str) -> Node | None:
    """A JSON array of strings as a chain; _NotJSON or LineError otherwise."""
    text = trim_left_space(rest)
    if not text.startswith("["):
        raise _NotJSON(text)
    try:
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_number,
            parse_int=_finite_number,
        )
    except (ValueError, RecursionError) as exc:
        raise _NotJSON(text) from exc
    if not isinstance(value, list):
        raise _NotJSON(text)
    if not all(isinstance(item, str) for item in value):
        raise LineError(NOT_STRING_ARRAY)
    # Go's decoder turns bad UTF-8 and lone surrogate escapes into U+FFFD.
    return _chain([replace_bad_bytes(item) for item in value])


def parse_maybe_json(rest: str, directives: Directives, depth: int) -> tuple[Node | None, Attrs]:
    """RUN, CMD, ENTRYPOINT, SHELL: a JSON array, else the rest as one string."""
    if not rest:
        return None, {}
    try:
        return parse_json(rest), {"json": True}
    except _NotJSON:
        return Node(value=rest), {}


def parse_maybe_json_to_list(
    rest: str, directives: Directives, depth: int
) -> tuple[Node | None, Attrs]:
    """ADD, COPY, VOLUME: a JSON array, else split on blanks."""
    try:
        return parse_json(rest), {"json": True}
    except _NotJSON:
        return parse_strings_whitespace_delimited(rest, directives, depth)


def parse_health_config(rest: str, directives: Directives, depth: int) -> tuple[Node | None, Attrs]:
    """HEALTHCHECK: the type word (``CMD``, ``NONE``) kept as written, then as CMD."""
    # Byte by byte, as BuildKit does (see extract_builder_flags).
    data = encode(rest)
    sep = 0
    while sep < len(data) and not is_space(chr(data[sep])):
        sep += 1
    if sep == 0:
        return None, {}
    following = sep
    while following < len(data) and is_space(chr(data[following])):
        following += 1
    command, attrs = parse_maybe_json(decode(data[following:]), directives, depth)
    return Node(value=decode(data[:sep]), next=command), attrs


DISPATCH: dict[str, LineParser] = {
    "add": parse_maybe_json_to_list,
    "arg": parse_name_or_name_val,
    "cmd": parse_maybe_json,
    "copy": parse_maybe_json_to_list,
    "entrypoint": parse_maybe_json,
    "env": parse_env,
    "expose": parse_strings_whitespace_delimited,
    "from": parse_strings_whitespace_delimited,
    "healthcheck": parse_health_config,
    "label": parse_label,
    "maintainer": parse_string,
    "onbuild": parse_sub_command,
    "run": parse_maybe_json,
    "shell": parse_maybe_json,
    "stopsignal": parse_string,
    "user": parse_string,
    "volume": parse_maybe_json_to_list,
    "workdir": parse_string,
}
