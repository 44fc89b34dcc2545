"""Dockerfile text -> located AST, following BuildKit's parser line for line.

``parse(data)`` returns a ``ParseResult`` whose ``ast`` is the root ``Node``:
one child per instruction, each with the 1-based lines it spans. It handles
parser directives, line continuations (with comments and blank lines inside
them), JSON and shell forms, ONBUILD and heredocs; arguments are cut per
instruction by ``hullbox.build.line_parsers``.

    python -m hullbox.build.parser Dockerfile

prints the tree in BuildKit's dump format, or one line naming the problem and
its line on stderr (exit status 1).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

from hullbox.build.ast import Heredoc, Node
from hullbox.build.directives import Directive, DirectiveError, Directives
from hullbox.build.gotext import decode, trim_left_space, trim_space
from hullbox.build.heredoc import HeredocError, heredocs_from_line
from hullbox.build.line_parsers import LineError, new_node_from_line
from hullbox.errors import InvalidArgument

# bufio.Scanner's limit: a line (without its "\n") may be at most this long.
MAX_LINE_BYTES = 65535
_BOM = "\ufeff"
_HEREDOC_COMMANDS = frozenset({"add", "copy", "run"})
_LINE_ENDS = "\r\n"


class DockerfileSyntaxError(InvalidArgument):
    """A Dockerfile that cannot be parsed; knows the lines it is about."""

    def __init__(self, message: str, start_line: int, end_line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.start_line = start_line
        self.end_line = end_line or start_line

    def at(self, path: str) -> str:
        """The one-line report: ``Dockerfile:7: message``."""
        if self.start_line <= 0:
            return f"{path}: {self.message}"
        return f"{path}:{self.start_line}: {self.message}"


@dataclass(frozen=True)
class ParseWarning:
    """Something accepted now that BuildKit warns about (empty continuation lines)."""

    message: str
    line: int


@dataclass
class ParseResult:
    """The tree, the escape token in force, the directives and the warnings."""

    ast: Node
    escape_token: str
    directives: list[Directive] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)


def parse(data: bytes | str) -> ParseResult:
    """Parse a whole Dockerfile; raises DockerfileSyntaxError with its line."""
    return _Parser(_split_lines(data)).run()


def _split_lines(data: bytes | str) -> list[str]:
    """Lines with their endings, as text; refuses a line over the scanner's limit."""
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    lines = _split_on_lf(raw)
    for number, line in enumerate(lines, 1):
        if len(line) - line.endswith(b"\n") > MAX_LINE_BYTES:
            raise DockerfileSyntaxError(
                f"dockerfile line greater than max allowed size of {MAX_LINE_BYTES}", number
            )
    return [decode(line) for line in lines]


def _split_on_lf(raw: bytes) -> list[bytes]:
    # Only "\n" ends a line; a lone "\r" stays inside it (bytes.splitlines
    # would split there too). Each line keeps its "\n": heredoc bodies need it.
    parts = raw.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _trim_newline(text: str) -> str:
    return text.rstrip(_LINE_ENDS)


def _is_comment(text: str) -> bool:
    return trim_left_space(text).startswith("#")


def _is_empty_continuation(text: str) -> bool:
    return not trim_left_space(_trim_newline(text))


class _Parser:
    """One pass over the lines; ``line`` counts the lines consumed so far."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.index = 0
        self.line = 0
        self.directives = Directives()
        self.root = Node(start_line=-1)
        self.warnings: list[ParseWarning] = []

    def _take(self) -> str | None:
        if self.index >= len(self.lines):
            return None
        text = self.lines[self.index]
        self.index += 1
        return text

    def _process(self, raw: str, strip_left: bool) -> tuple[str, bool]:
        """The line without its ending (and comment), and whether it was a directive."""
        text = _trim_newline(raw)
        if strip_left:
            text = trim_left_space(text)
        try:
            is_directive = self.directives.possible_directive(text)
        except DirectiveError as exc:
            raise DockerfileSyntaxError(str(exc), self.line + 1) from None
        return ("" if _is_comment(text) else text), is_directive

    def _continue(self, text: str) -> tuple[str, bool]:
        """Drop a trailing escape token; True when the line ends the instruction."""
        regex = self.directives.continuation
        match = regex.search(text)
        if match is None:
            return text, True
        return text[: match.start()] + (match.group(1) or ""), False

    def run(self) -> ParseResult:
        comments: list[str] = []
        while (raw := self._take()) is not None:
            if self.line == 0 and raw.startswith(_BOM):
                raw = raw[1:]
            if _is_comment(raw):
                comment = trim_space(raw[1:])
                comments = [*comments, comment] if comment else []
            text, is_directive = self._process(raw, strip_left=True)
            if is_directive and comments:
                comments = comments[:-1]  # a directive is not a comment on the node
            self.line += 1
            start = self.line
            text, done = self._continue(text)
            if done and not text:
                continue
            line = self._join_continuation(text, done)
            try:
                child = new_node_from_line(line, self.directives, comments)
                if _can_contain_heredoc(child) and "<<" in line:
                    child.heredocs = self._read_heredocs(line, start)
            except (LineError, HeredocError) as exc:
                raise DockerfileSyntaxError(str(exc), start, self.line) from None
            self.root.add_child(child, start, self.line)
            comments = []
        if self.root.start_line < 0:
            raise DockerfileSyntaxError("file with no instructions", self.line)
        return ParseResult(
            self.root, self.directives.escape_token, self.directives.found, self.warnings
        )

    def _join_continuation(self, text: str, done: bool) -> str:
        """Append continuation lines; comments inside are dropped, blank ones warned of."""
        parts = [text]
        had_empty = False
        while not done and (raw := self._take()) is not None:
            text, _ = self._process(raw, strip_left=False)
            self.line += 1
            if _is_comment(raw):
                continue
            if _is_empty_continuation(text):
                had_empty = True
                continue
            # Continuation lines keep their leading blanks (BuildKit does).
            text, done = self._continue(text)
            parts.append(text)
        line = "".join(parts)
        if had_empty:
            message = f"Empty continuation line found in: {line}"
            self.warnings.append(ParseWarning(message, self.line))
        return line

    def _read_heredocs(self, line: str, start: int) -> list[Heredoc]:
        """Read the bodies of the line's heredocs, one after the other."""
        docs = heredocs_from_line(line)
        for doc in docs:
            body: list[str] = []
            while True:
                raw = self._take()
                if raw is None:
                    raise DockerfileSyntaxError("unterminated heredoc", start, self.line)
                self.line += 1
                candidate = _trim_newline(raw)
                if doc.chomp:
                    candidate = candidate.lstrip("\t")
                if candidate == doc.name:
                    break
                body.append(raw)
            doc.content = "".join(body)
        return docs


def _can_contain_heredoc(node: Node) -> bool:
    # ONBUILD's heredocs belong to the instruction it wraps.
    if node.value == "onbuild" and node.next is not None and node.next.children:
        node = node.next.children[0]
    return node.value in _HEREDOC_COMMANDS and not node.is_json


def _one_line(text: str) -> str:
    return re.sub(r"[\r\n]+", " ", text)


def main(argv: list[str] | None = None) -> int:
    """``python -m hullbox.build.parser FILE``: print the AST dump, or one error line."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m hullbox.build.parser DOCKERFILE (or - for stdin)", file=sys.stderr)
        return 2
    path = args[0]
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                data = handle.read()
    except OSError as exc:
        print(f"{path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        result = parse(data)
    except DockerfileSyntaxError as exc:
        print(_one_line(exc.at(path)), file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(_one_line(f"{path}:{warning.line}: warning: {warning.message}"), file=sys.stderr)
    sys.stdout.buffer.write((result.ast.dump() + "\n").encode("utf-8", "surrogateescape"))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
