"""Go text/template's parser: the lexer's pieces into a tree of text,
actions, ``if``/``with``/``range`` blocks (each with an ``else`` list),
``break``/``continue``, and pipelines of commands."""

from __future__ import annotations

from dataclasses import dataclass, field

from hullbox.cli.template_funcs import FUNCTIONS
from hullbox.cli.template_lex import Piece, Token, line_of, split_template, string_value
from hullbox.errors import TemplateError


@dataclass
class Arg:
    """An operand: a field chain on dot (``.A.B``), a variable (``$v.A``),
    a literal, a function name, or a parenthesised pipeline with a chain."""

    kind: str  # "field", "var", "literal", "func", "dot", "pipe"
    text: str
    offset: int
    names: list[str] = field(default_factory=list)
    value: object = None
    pipe: Pipeline | None = None


@dataclass
class Pipeline:
    commands: list[list[Arg]]
    declare: list[str]
    assign: bool
    text: str
    offset: int


@dataclass
class Block:
    """``if``, ``with``, ``range``; ``print`` is a top-level action."""

    kind: str
    pipe: Pipeline | None
    body: list[Node] = field(default_factory=list)
    otherwise: list[Node] = field(default_factory=list)


Node = str | Block


class _Parser:
    def __init__(self, template: str) -> None:
        self.template = template
        self.pieces = split_template(template)
        self.at = 0
        # the variables in scope, for Go's parse-time 'undefined variable'
        self.scope: list[str] = ["$"]

    def fail(self, offset: int, reason: str) -> TemplateError:
        return TemplateError(f"template: :{line_of(self.template, offset)}: {reason}")

    def nodes(self, ends: tuple[str, ...]) -> tuple[list[Node], str, Piece | None]:
        """Nodes up to one of ``ends`` (``end``, ``else``); which one and its piece."""
        found: list[Node] = []
        scope = len(self.scope)
        try:
            return self.nodes_in_scope(found, ends)
        finally:
            del self.scope[scope:]

    def nodes_in_scope(self, found: list[Node],
                       ends: tuple[str, ...]) -> tuple[list[Node], str, Piece | None]:
        while self.at < len(self.pieces):
            piece = self.pieces[self.at]
            self.at += 1
            if piece.text is not None:
                found.append(piece.text)
                continue
            tokens = piece.tokens
            word = tokens[0].text if tokens and tokens[0].kind == "ident" else ""
            if word in ("end", "else"):
                if word not in ends:
                    raise self.fail(piece.offset, f"unexpected {{{{{word}}}}}")
                return found, word, piece
            if word in ("if", "with", "range"):
                found.append(self.block(word, piece))
            elif word in ("break", "continue"):
                found.append(Block(word, None))
            else:
                found.append(Block("print", self.pipeline(tokens, piece.offset)))
        if ends:
            raise self.fail(len(self.template), "unexpected EOF")
        return found, "", None

    def block(self, kind: str, piece: Piece) -> Block:
        if len(piece.tokens) < 2:
            raise self.fail(piece.offset, f"missing value for {kind}")
        scope = len(self.scope)
        block = Block(kind, self.pipeline(piece.tokens[1:], piece.offset))
        try:
            return self.block_lists(block)
        finally:
            del self.scope[scope:]

    def block_lists(self, block: Block) -> Block:
        block.body, ended, closing = self.nodes(("end", "else"))
        if ended == "else" and closing is not None:
            rest = closing.tokens[1:]
            if rest and rest[0].text in ("if", "with"):
                # ``{{else if x}}``: an if inside the else, closed by the same end
                self.at -= 1
                self.pieces[self.at] = Piece(None, rest, closing.offset)
                inner = self.pieces[self.at]
                self.at += 1
                block.otherwise = [self.block(rest[0].text, inner)]
                return block
            block.otherwise, _, _ = self.nodes(("end",))
        return block

    def pipeline(self, tokens: list[Token], offset: int) -> Pipeline:
        if not tokens:
            raise self.fail(offset, "missing value for command")
        start = tokens[0].offset
        end = tokens[-1].offset + len(tokens[-1].text)
        declare: list[str] = []
        assign = False
        for at, token in enumerate(tokens):
            if token.kind in ("declare", "assign"):
                names = tokens[:at]
                if not names or any(t.kind not in ("var", "comma") for t in names):
                    raise self.fail(token.offset, "unexpected := in command")
                declare = [t.text for t in names if t.kind == "var"]
                if token.kind == "declare":
                    self.scope.extend(declare)
                assign = token.kind == "assign"
                tokens = tokens[at + 1:]
                break
        pipe = Pipeline([], declare, assign, self.template[start:end], start)
        command: list[Arg] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            index += 1
            if token.kind == "pipe":
                if not command:
                    raise self.fail(token.offset, "missing command")
                pipe.commands.append(command)
                command = []
            elif token.kind == "open":
                depth, close = 1, index
                while close < len(tokens) and depth:
                    depth += {"open": 1, "close": -1}.get(tokens[close].kind, 0)
                    close += 1
                if depth:
                    raise self.fail(token.offset, "unclosed left paren")
                inner = self.pipeline(tokens[index:close - 1], token.offset)
                command.append(Arg("pipe", inner.text, token.offset, pipe=inner))
                index = close
            else:
                command.append(self.operand(token, command))
        if not command:
            raise self.fail(offset, "missing command")
        pipe.commands.append(command)
        return pipe

    def operand(self, token: Token, command: list[Arg]) -> Arg:
        kind, text = token.kind, token.text
        if kind == "chain" and command:
            command[-1].names.extend(text.split(".")[1:])
            command[-1].text += text
            return command.pop()
        if kind == "field":
            return Arg("field", text, token.offset, names=text.split(".")[1:])
        if kind == "var":
            name, *names = text.split(".")
            if name not in self.scope:
                raise self.fail(token.offset, f'undefined variable "{name}"')
            return Arg("var", text, token.offset, names=names, value=name)
        if kind == "dot":
            return Arg("dot", text, token.offset)
        if kind == "string":
            return Arg("literal", text, token.offset, value=string_value(token))
        if kind == "number":
            number = float(text) if any(c in text for c in ".eE") and "x" not in text.lower() \
                else int(text, 0)
            return Arg("literal", text, token.offset, value=number)
        if kind == "ident":
            if text in ("true", "false"):
                return Arg("literal", text, token.offset, value=text == "true")
            if text == "nil":
                return Arg("literal", text, token.offset, value=None)
            if text not in FUNCTIONS:
                raise self.fail(token.offset, f'function "{text}" not defined')
            return Arg("func", text, token.offset, value=text)
        raise self.fail(token.offset, f"unexpected {text!r} in command")


def parse(template: str) -> list[Node]:
    return _Parser(template).nodes(())[0]
