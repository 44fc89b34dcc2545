"""The located syntax tree of a Dockerfile, shaped as BuildKit's ``parser.Node``.

A node's ``value`` is one token; ``next`` chains the tokens of one statement;
``children`` hold statements. The root's children are the instructions; an
instruction's ``value`` is its keyword in lower case and its ``next`` chain
holds its arguments, except ONBUILD, whose single ``next`` node has the nested
instruction as its only child:

    RUN echo hi      ->  Node("run", next=Node("echo hi"))
    ONBUILD RUN x    ->  Node("onbuild", next=Node(children=[Node("run", next=Node("x"))]))

``dump`` prints BuildKit's s-expression form, which its parser tests compare.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from hullbox.build.gotext import quote, quote_list, to_lower, trim_space


@dataclass
class Heredoc:
    """A here-document: ``<<EOF`` (``<<-EOF`` chomps tabs, ``<<'EOF'`` does not expand).

    ``content`` is the raw body with its line endings; tabs are not yet removed
    for ``chomp`` (see ``hullbox.build.heredoc.chomp_heredoc_content``).
    """

    name: str
    file_descriptor: int = 0
    expand: bool = True
    chomp: bool = False
    content: str = ""


@dataclass
class Node:
    """One token of the tree, with the lines (1-based) an instruction spans."""

    value: str = ""
    next: Node | None = None
    children: list[Node] = field(default_factory=list)
    heredocs: list[Heredoc] = field(default_factory=list)
    attributes: dict[str, bool] = field(default_factory=dict)
    original: str = ""
    flags: list[str] = field(default_factory=list)
    start_line: int = 0
    end_line: int = 0
    prev_comment: list[str] = field(default_factory=list)

    @property
    def is_json(self) -> bool:
        """True when the arguments were written as a JSON array (exec form)."""
        return self.attributes.get("json", False)

    def chain(self) -> Iterator[Node]:
        """The nodes after this one in its statement."""
        node = self.next
        while node is not None:
            yield node
            node = node.next

    def args(self) -> list[str]:
        """The argument strings of an instruction (empty for ONBUILD's nesting)."""
        return [node.value for node in self.chain() if not node.children]

    def add_child(self, child: Node, start_line: int, end_line: int) -> None:
        """Append an instruction that spans ``start_line``..``end_line``."""
        child.start_line, child.end_line = start_line, end_line
        if self.start_line < 0:
            self.start_line = start_line
        self.end_line = end_line
        self.children.append(child)

    def dump(self) -> str:
        """BuildKit's ``Node.Dump``: ``(run "echo hi")``, one line per instruction."""
        parts = [to_lower(self.value)]
        if self.flags:
            parts.append(" " + quote_list(self.flags))
        parts.extend("(" + child.dump() + ")\n" for child in self.children)
        for node in self.chain():
            parts.append(" " + (node.dump() if node.children else quote(node.value)))
        return trim_space("".join(parts))
