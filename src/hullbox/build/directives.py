"""Parser directives: ``# syntax=``, ``# escape=``, ``# check=``.

They are comments of the form ``# key=value`` at the very top of a Dockerfile.
The first line that is not one (any instruction, a blank line, an ordinary
comment, an unknown key) ends them for the rest of the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hullbox.build.gotext import trim_left_space

VALID_DIRECTIVES = frozenset({"syntax", "escape", "check"})
DEFAULT_ESCAPE_TOKEN = "\\"

# Go's \s is [\t\n\f\r ] (no \v), unlike Python's.
_DIRECTIVE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*\Z")


class DirectiveError(ValueError):
    """A directive that is repeated or has a value that cannot be used."""


@dataclass(frozen=True)
class Directive:
    """One parser directive: its key (lower case), value and 1-based line."""

    name: str
    value: str
    line: int


@dataclass
class DirectiveParser:
    """Reads directives line by line until the first line that is not one."""

    comment: str = "#"
    line: int = 0
    done: bool = False
    seen: set[str] = field(default_factory=set)

    def parse_line(self, text: str) -> Directive | None:
        """The directive on this line, or None; raises DirectiveError on a repeat."""
        self.line += 1
        if self.done:
            return None
        if not text.startswith(self.comment):
            self.done = True
            return None
        match = _DIRECTIVE.match(trim_left_space(text[len(self.comment) :]))
        if match is None:
            self.done = True
            return None
        name = match.group(1).lower()
        if name not in VALID_DIRECTIVES:
            self.done = True
            return None
        if name in self.seen:
            raise DirectiveError(f"only one {name} parser directive can be used")
        self.seen.add(name)
        return Directive(name, match.group(2), self.line)


class Directives:
    """The directive state of one parse: the escape token and what was declared."""

    def __init__(self) -> None:
        self.parser = DirectiveParser()
        self.found: list[Directive] = []
        self.escape_token = DEFAULT_ESCAPE_TOKEN
        self.continuation = _continuation_regex(DEFAULT_ESCAPE_TOKEN)

    def set_escape_token(self, token: str) -> None:
        """Use ``token`` (a backslash or a backtick) to escape and continue lines."""
        if token not in ("`", "\\"):
            raise DirectiveError(f"invalid escape token '{token}' does not match ` or \\")
        self.escape_token = token
        self.continuation = _continuation_regex(token)

    def possible_directive(self, text: str) -> bool:
        """Feed one line; True when it was a directive (and has been applied)."""
        directive = self.parser.parse_line(text)
        if directive is None:
            return False
        if directive.name == "escape":
            self.set_escape_token(directive.value)
        self.found.append(directive)
        return True

    def value(self, name: str) -> str | None:
        """The value of directive ``name`` if the file declared it."""
        for directive in self.found:
            if directive.name == name:
                return directive.value
        return None


def _continuation_regex(token: str) -> re.Pattern[str]:
    # The escape token as the last non-blank character continues the line,
    # unless it is itself escaped; the character before it is kept.
    t = re.escape(token)
    return re.compile(rf"([^{t}]){t}[ \t]*\Z|^{t}[ \t]*\Z")
