"""Go text/template's executor over hullbox's dict values. A value travels
with its place among docker's types (see docker_fields) so a missing field
can be told from a field hullbox left out and from a map key, the way
gotemplate's docstring says, also under ``range`` and ``with``."""

from __future__ import annotations

from typing import Any

from hullbox.cli.template_fields import ExecError, Mode, Typed, fields, index
from hullbox.cli.template_funcs import FUNCTIONS, FunctionError, go_json_value, go_value, truth
from hullbox.cli.template_parse import Arg, Block, Node, Pipeline

__all__ = ["ExecError", "Executor", "Mode", "Typed"]


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class Executor:
    def __init__(self, root: Any, mode: Mode) -> None:
        self.root, self.mode = root, mode
        self.out: list[str] = []
        self.variables: list[tuple[str, Typed]] = [("$", Typed(root))]

    def run(self, nodes: list[Node], dot: Typed) -> None:
        for node in nodes:
            if isinstance(node, str):
                self.out.append(node)
            else:
                self.block(node, dot)

    def block(self, node: Block, dot: Typed) -> None:
        if node.kind == "break":
            raise _Break
        if node.kind == "continue":
            raise _Continue
        assert node.pipe is not None
        scope = len(self.variables)
        try:
            value = self.pipeline(node.pipe, dot, declare=node.kind != "range")
            if node.kind == "print":
                if not node.pipe.declare:
                    self.out.append(self.printed(value, node.pipe))
                return
            if node.kind == "range":
                self.range(node, value, dot)
            elif truth(value.value):
                self.run(node.body, value if node.kind == "with" else dot)
            else:
                self.run(node.otherwise, dot)
        finally:
            if node.kind != "print":
                del self.variables[scope:]

    @staticmethod
    def printed(value: Typed, pipe: Pipeline) -> str:
        """A field or key with no value prints Go's ``<no value>``."""
        if value.value is None and pipe.commands[-1][0].kind != "func":
            return "<no value>"
        return go_value(value.value)

    def range(self, node: Block, over: Typed, dot: Typed) -> None:
        value = over.value
        element = (f"{over.place}[]" if over.is_map or isinstance(value, list) else "?",
                   over.place)
        if isinstance(value, dict):
            items = [(k, value[k]) for k in sorted(value)]
        elif isinstance(value, list | tuple):
            items = list(enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            items = [(i, i) for i in range(value)]
        elif value is None:
            items = []
        else:
            raise ExecError(node.pipe.text if node.pipe else "", node.pipe.offset if node.pipe
                            else 0, f"range can't iterate over {go_value(value)}")
        if not items:
            self.run(node.otherwise, dot)
            return
        names = node.pipe.declare if node.pipe else []
        scope = len(self.variables)
        for key, item in items:
            typed = Typed(item, *element)
            if len(names) == 2:
                self.variables[scope:] = [(names[0], Typed(key)), (names[1], typed)]
            elif names:
                self.variables[scope:] = [(names[0], typed)]
            try:
                self.run(node.body, typed)
            except _Break:
                break
            except _Continue:
                continue

    def pipeline(self, pipe: Pipeline, dot: Typed, declare: bool = True) -> Typed:
        value: Typed | None = None
        for command in pipe.commands:
            value = self.command(command, dot, value)
        assert value is not None
        if declare and pipe.declare:
            self.set_variable(pipe.declare[0], value, pipe)
        return value

    def set_variable(self, name: str, value: Typed, pipe: Pipeline) -> None:
        if pipe.assign:
            for at in range(len(self.variables) - 1, -1, -1):
                if self.variables[at][0] == name:
                    self.variables[at] = (name, value)
                    return
            raise ExecError(pipe.text, pipe.offset, f'undefined variable "{name}"')
        self.variables.append((name, value))

    def command(self, args: list[Arg], dot: Typed, piped: Typed | None) -> Typed:
        head = args[0]
        if head.kind != "func":
            if len(args) > 1 or piped is not None:
                raise ExecError(head.text, head.offset,
                                f"can't give argument to non-function {head.text}")
            return self.operand(head, dot)
        operands = [self.operand(a, dot) for a in args[1:]]
        if piped is not None:
            operands.append(piped)
        return self.call(head, args, operands)

    def call(self, head: Arg, args: list[Arg], operands: list[Typed]) -> Typed:
        name = str(head.value)
        node = " ".join(a.text for a in args)
        values = [o.value for o in operands]
        try:
            if name in ("and", "or"):
                if not operands:
                    raise FunctionError("wrong number of args")
                for operand in operands:
                    if truth(operand.value) != (name == "and"):
                        return operand
                return operands[-1]
            if name == "index":
                return index(operands)
            if name == "json":
                listing = self.mode == "listing" and values[0] is self.root
                return Typed(go_json_value(values[0], escape_html=listing, sort_keys=listing))
            return Typed(FUNCTIONS[name](*values))
        except FunctionError as exc:
            raise ExecError(node, head.offset, f"error calling {name}: {exc}") from None
        except (TypeError, AttributeError, IndexError):
            raise ExecError(node, head.offset, f"wrong arguments for {name}") from None

    def operand(self, arg: Arg, dot: Typed) -> Typed:
        if arg.kind == "literal":
            return Typed(arg.value)
        if arg.kind == "dot":
            return dot
        if arg.kind == "func":
            return self.call(arg, [arg], [])
        if arg.kind == "var":
            start = next((v for n, v in reversed(self.variables) if n == arg.value), None)
            if start is None:
                raise ExecError(arg.text, arg.offset, f'undefined variable "{arg.value}"')
        elif arg.kind == "pipe":
            assert arg.pipe is not None
            start = self.pipeline(arg.pipe, dot)
        else:
            start = dot
        return fields(start, arg.names, self.mode, arg.text, arg.offset)
