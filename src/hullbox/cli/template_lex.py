"""Go text/template's lexer: the template's text and ``{{ }}`` actions (with
``{{-`` and ``-}}`` trimming the white space beside them), and the tokens of
an action. Offsets are kept so errors can name a line and column as Go does."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Literal

from hullbox.errors import TemplateError

Kind = Literal["text", "field", "var", "string", "number", "ident", "pipe", "open",
               "close", "declare", "assign", "comma", "dot", "chain"]


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str
    offset: int


@dataclass(frozen=True)
class Piece:
    """Text between actions, or one action's tokens."""

    text: str | None
    tokens: list[Token]
    offset: int


_TOKEN = re.compile(r"""
    (?P<string>"(?:[^"\\\n]|\\.)*"|`[^`]*`)
  | (?P<declare>:=) | (?P<assign>=) | (?P<pipe>\|) | (?P<open>\() | (?P<close>\))
  | (?P<comma>,)
  | (?P<var>\$\w*(?:\.\w+)*)
  | (?P<field>(?:\.\w+)+)
  | (?P<dot>\.)
  | (?P<number>[-+]?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?))
  | (?P<ident>[A-Za-z_]\w*)
    """, re.VERBOSE)


def line_of(template: str, offset: int) -> int:
    return template.count("\n", 0, offset) + 1


def _fail(template: str, offset: int, reason: str) -> TemplateError:
    return TemplateError(f"template: :{line_of(template, offset)}: {reason}")


def _tokens(template: str, start: int, end: int) -> list[Token]:
    found: list[Token] = []
    at = start
    while True:
        while at < end and template[at].isspace():
            at += 1
        if at >= end:
            return found
        match = _TOKEN.match(template, at, end)
        if match is None or match.lastgroup is None:
            raise _fail(template, at, f"unexpected {template[at]!r} in command")
        kind = match.lastgroup
        # ``(x).Field``: a field chained on what the parentheses give
        if kind == "field" and found and found[-1].kind == "close" and found[-1].offset == at - 1:
            kind = "chain"
        found.append(Token(kind, match.group(), at))  # type: ignore[arg-type]
        at = match.end()


def string_value(token: Token) -> str:
    if token.text.startswith("`"):
        return token.text[1:-1]
    return str(ast.literal_eval(token.text))


def split_template(template: str) -> list[Piece]:
    """The template as text and actions, ``{{- -}}`` trimming applied and
    comments ``{{/* */}}`` dropped."""
    pieces: list[Piece] = []
    at = 0
    trim_next = False
    while at <= len(template):
        opening = template.find("{{", at)
        text = template[at:] if opening < 0 else template[at:opening]
        # Go's markers: "{{- " and " -}}", the space any white space
        trim_before = opening >= 0 and template[opening + 2:opening + 4][:1] == "-" and \
            template[opening + 3:opening + 4].isspace()
        if trim_next:
            text = text.lstrip()
        if trim_before:
            text = text.rstrip()
        if text:
            pieces.append(Piece(text, [], at))
        if opening < 0:
            return pieces
        start = opening + (4 if trim_before else 2)
        closing = _closing(template, start)
        if closing < 0:
            raise _fail(template, opening, "unclosed action")
        trim_next = closing - 2 >= start and template[closing - 1] == "-" and \
            template[closing - 2].isspace()
        end = closing - 2 if trim_next else closing
        inner = template[start:end].strip()
        if not (inner.startswith("/*") and inner.endswith("*/")):
            pieces.append(Piece(None, _tokens(template, start, end), start))
        at = closing + 2
    return pieces


def _closing(template: str, start: int) -> int:
    """Where the action's ``}}`` is, stepping over quoted strings."""
    at = start
    while at < len(template):
        char = template[at]
        if template.startswith("}}", at):
            return at
        if char in "\"`":
            end = template.find(char, at + 1)
            while char != "`" and end > 0 and template[end - 1] == "\\":
                end = template.find(char, end + 1)
            at = len(template) if end < 0 else end + 1
            continue
        at += 1
    return -1
