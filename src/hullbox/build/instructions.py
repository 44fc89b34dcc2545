"""Located AST -> typed instructions, grouped into stages (pure).

Words are kept as written here: variables are expanded later, with the
ENV and ARG values in scope at that point of the stage (``hullbox.build.plan``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hullbox.build.ast import Heredoc, Node
from hullbox.build.parser import DockerfileSyntaxError

_FLAGS: dict[str, frozenset[str]] = {
    "from": frozenset({"platform"}),
    "run": frozenset({"mount", "network", "security"}),
    "copy": frozenset({"from", "chown", "chmod", "link", "parents", "exclude"}),
    "add": frozenset({"chown", "chmod", "link", "checksum", "keep-git-dir", "exclude"}),
    "healthcheck": frozenset({"interval", "timeout", "start-period", "start-interval",
                              "retries"}),
}
_BOOL_FLAGS = frozenset({"link", "parents", "keep-git-dir"})
_MULTI_FLAGS = frozenset({"mount", "exclude"})


@dataclass(frozen=True)
class Instruction:
    """One instruction: its keyword (upper case), first line and text."""

    keyword: str
    line: int
    original: str
    flags: dict[str, list[str]] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    json: bool = False
    heredocs: tuple[Heredoc, ...] = ()

    def flag(self, name: str, default: str = "") -> str:
        values = self.flags.get(name)
        return values[-1] if values else default

    def error(self, message: str) -> DockerfileSyntaxError:
        return DockerfileSyntaxError(message, self.line)


@dataclass(frozen=True)
class OnBuild(Instruction):
    """ONBUILD: the nested instruction's text, recorded in the image config."""

    trigger: str = ""


@dataclass
class Stage:
    """A FROM and the instructions after it."""

    index: int
    base: str  # as written, expanded later with the meta ARGs
    name: str
    platform: str
    line: int
    original: str
    instructions: list[Instruction] = field(default_factory=list)


@dataclass
class Dockerfile:
    """The ARGs before the first FROM, then the stages."""

    meta_args: list[Instruction]
    stages: list[Stage]


_KNOWN = frozenset({
    "add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "healthcheck",
    "label", "maintainer", "onbuild", "run", "shell", "stopsignal", "user", "volume", "workdir",
})


def _parse_flags(node: Node, keyword: str, line: int) -> dict[str, list[str]]:
    allowed = _FLAGS.get(keyword, frozenset())
    flags: dict[str, list[str]] = {}
    for raw in node.flags:
        name, sep, value = raw.removeprefix("--").partition("=")
        if name not in allowed:
            raise DockerfileSyntaxError(f"unknown flag: {name}", line)
        if name in _BOOL_FLAGS:
            if sep and value.lower() not in ("true", "false"):
                raise DockerfileSyntaxError(f"expecting boolean value for flag {name}", line)
            value = "true" if not sep else value.lower()
        elif not sep:
            raise DockerfileSyntaxError(f"missing a value on flag: {name}", line)
        if name not in _MULTI_FLAGS and name in flags:
            raise DockerfileSyntaxError(f"duplicate flag specified: {name}", line)
        flags.setdefault(name, []).append(value)
    return flags


def instruction(node: Node) -> Instruction:
    """The typed instruction of one AST child; DockerfileSyntaxError with its
    line when the instruction is unknown or malformed."""
    keyword = node.value
    line = node.start_line
    if keyword not in _KNOWN:
        word = node.original.split(None, 1)[0] if node.original.strip() else keyword
        raise DockerfileSyntaxError(f"unknown instruction: {word}", line)
    flags = _parse_flags(node, keyword, line)
    args = tuple(node.args())
    common = dict(keyword=keyword.upper(), line=line, original=node.original, flags=flags,
                  args=args, json=node.is_json, heredocs=tuple(node.heredocs))
    if keyword == "onbuild":
        nested = node.next.children[0] if node.next is not None and node.next.children else None
        if nested is None:
            raise DockerfileSyntaxError("ONBUILD requires an instruction", line)
        if nested.value in ("onbuild", "from", "maintainer"):
            raise DockerfileSyntaxError(
                f"{nested.value.upper()} isn't allowed as an ONBUILD trigger", line)
        trigger = node.original.split(None, 1)[1] if " " in node.original.strip() else ""
        return OnBuild(**common, trigger=trigger.strip())  # type: ignore[arg-type]
    _check_arity(keyword, args, line, node.is_json)
    return Instruction(**common)  # type: ignore[arg-type]


def _check_arity(keyword: str, args: tuple[str, ...], line: int, is_json: bool) -> None:
    at_least = {"add": 2, "copy": 1, "arg": 1, "env": 1, "label": 1, "expose": 1, "volume": 1,
                "from": 1, "user": 1, "workdir": 1, "stopsignal": 1, "shell": 1,
                "healthcheck": 1, "maintainer": 1, "run": 1}
    need = at_least.get(keyword, 0)
    if len(args) < need:
        raise DockerfileSyntaxError(f"{keyword.upper()} requires at least {need} argument"
                                    f"{'s' if need > 1 else ''}", line)
    if keyword == "shell" and not is_json:
        raise DockerfileSyntaxError("SHELL requires the arguments to be in JSON form", line)
    if keyword in ("user", "workdir", "stopsignal") and len(args) != 1:
        raise DockerfileSyntaxError(f"{keyword.upper()} requires exactly one argument", line)


def load(root: Node) -> Dockerfile:
    """Split the instructions into the meta ARGs and the stages."""
    meta: list[Instruction] = []
    stages: list[Stage] = []
    for child in root.children:
        inst = instruction(child)
        if inst.keyword == "FROM":
            stages.append(_stage(inst, len(stages)))
        elif not stages:
            if inst.keyword != "ARG":
                raise inst.error(
                    f"{inst.keyword} before the first FROM: only ARG may come first")
            meta.append(inst)
        else:
            stages[-1].instructions.append(inst)
    if not stages:
        raise DockerfileSyntaxError("no build stage in the Dockerfile: it needs a FROM", 0)
    return Dockerfile(meta, stages)


def _stage(inst: Instruction, index: int) -> Stage:
    args = inst.args
    name = ""
    if len(args) == 3 and args[1].lower() == "as":
        name = args[2].lower()
        if not name or not (name[0].isalpha()) or not all(
                c.isalnum() or c in "-_." for c in name):
            raise inst.error(f"invalid name for build stage: {args[2]!r}, name can't start "
                             "with a number or contain symbols")
    elif len(args) != 1:
        raise inst.error("FROM requires either one or three arguments: FROM IMAGE [AS name]")
    return Stage(index, args[0], name, inst.flag("platform"), inst.line, inst.original)
