"""Reading compose YAML the way compose-go (yaml.v3) does: YAML 1.2 scalars
(``80:80`` and ``yes`` stay strings, unlike PyYAML's YAML 1.1), anchors and
merge keys, duplicate keys refused, and the ``!reset`` / ``!override`` tags
kept as markers for the merge."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from hullbox.errors import ComposeFileError

if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader
else:  # libyaml's parser when present; resolution stays in Python either way
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Reset:
    """``!reset``: drop what the files merged before said at this place."""

    value: Any = None


@dataclass(frozen=True)
class Override:
    """``!override``: replace what the files merged before said, do not merge."""

    value: Any


class ComposeLoader(_BaseLoader):
    """SafeLoader with the YAML 1.2 core schema's implicit types."""

    # Start empty: only the resolvers registered below apply (not YAML 1.1's).
    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012


def _resolver(tag: str, pattern: str, first: str) -> None:
    ComposeLoader.add_implicit_resolver(tag, re.compile(pattern, re.X), list(first))


_resolver("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF")
_resolver("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""])  # type: ignore[arg-type]
_resolver("tag:yaml.org,2002:int",
          r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789")
_resolver("tag:yaml.org,2002:float",
          r"""^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?
              |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""", "-+0123456789.")
_resolver("tag:yaml.org,2002:merge", r"^(?:<<)$", "<")


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits.startswith("0o"):
        return sign * int(digits[2:], 8)
    if digits.startswith("0x"):
        return sign * int(digits[2:], 16)
    if len(digits) > 1 and digits.startswith("0") and set(digits) <= set("01234567"):
        return sign * int(digits, 8)  # yaml.v3 reads a leading 0 as octal (mode: 0440)
    return sign * int(digits)


def _construct_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node)).lower()
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    return float(text)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)  # applies `<<` merge keys
    seen: dict[Any, int] = {}
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int | float | bool) and key is not None:
            raise ComposeFileError(f"line {key_node.start_mark.line + 1}: invalid mapping key")
        if key in seen:
            raise ComposeFileError(
                f"line {key_node.start_mark.line + 1}: mapping key {key!r} already defined "
                f"at line {seen[key]}"
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=True)


def _construct_tagged(marker: type[Reset] | type[Override]) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Reset | Override:
        if isinstance(node, yaml.MappingNode):
            value: Any = _construct_mapping(loader, node)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            scalar = loader.construct_scalar(node)  # type: ignore[arg-type]
            value = None if scalar == "" else scalar
        return marker(value)

    return construct


ComposeLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
ComposeLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)
ComposeLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
ComposeLoader.add_constructor("!reset", _construct_tagged(Reset))
ComposeLoader.add_constructor("!override", _construct_tagged(Override))


def _hint(problem: str) -> str:
    """What to do about the error users meet most: ``{A: ${X:-y}}``. Docker
    Compose's YAML parser (yaml.v3) refuses it just the same, since ``{``
    ends a plain value inside ``{ }`` or ``[ ]``; quoting is the fix."""
    if problem.startswith("did not find expected ','"):
        return ("; inside { } or [ ] quote a value that holds braces or ${...}, "
                'e.g. {A: "${X:-y}"}')
    return ""


def parse_yaml(text: str, filename: str) -> dict[str, Any]:
    """The top-level mapping of a compose file (an empty file is an empty
    mapping); a YAML error names the file and line."""
    try:
        documents = list(yaml.load_all(text, Loader=ComposeLoader))
    except ComposeFileError as exc:
        raise ComposeFileError(f"{filename}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ComposeFileError(f"{filename}: {where}{problem}{_hint(problem)}") from None
    if len(documents) > 1:
        raise ComposeFileError(f"{filename}: holds {len(documents)} YAML documents; "
                               "a compose file holds one")
    document = documents[0] if documents else None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ComposeFileError(f"{filename}: the top level must be a mapping, "
                               f"not {type(document).__name__}")
    return document
