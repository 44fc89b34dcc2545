"""Field and key look-ups of Go's text/template over hullbox's dict values.
A value travels with its place among docker's types (see docker_fields) so a
missing field can be told from a field hullbox left out and from a map key,
as gotemplate's docstring says, also under ``range`` and ``with``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from hullbox.cli.docker_fields import INSPECT_FIELDS, MAP_FIELDS, MAP_UNDER
from hullbox.cli.template_funcs import FunctionError

Mode = Literal["lenient", "listing", "inspect"]


class ExecError(Exception):
    """Go's ``executing "" at <NODE>: REASON``; the node's offset for the line."""

    def __init__(self, node: str, offset: int, reason: str) -> None:
        super().__init__(reason)
        self.node, self.offset, self.reason = node, offset, reason


@dataclass(frozen=True)
class Typed:
    value: Any
    place: str = ""
    parent: str = ""

    @property
    def is_map(self) -> bool:
        return self.place in MAP_FIELDS or (self.parent, self.place) in MAP_UNDER


def _missing_is_error(mode: Mode, at: Typed, name: str) -> bool:
    if mode == "lenient" or at.is_map:
        return False
    if mode == "listing":
        return True
    known = INSPECT_FIELDS.get(at.place)
    return known is None or name not in known


def index(operands: list[Typed]) -> Typed:
    """Go's ``index``; a key missing from a map of strings is Go's zero value, \"\"."""
    current = operands[0]
    for key in (o.value for o in operands[1:]):
        value = current.value
        if isinstance(value, dict):
            if not isinstance(key, str):
                raise FunctionError(f"value has type {type(key).__name__}; should be string")
            if key in value:
                current = Typed(value[key], f"{current.place}[]", current.place)
                continue
            strings = all(isinstance(v, str) for v in value.values())
            current = Typed("" if strings and (value or current.is_map) else None)
        elif isinstance(value, list | tuple | str) and isinstance(key, int):
            # a Go string's elements are its bytes
            items = value.encode() if isinstance(value, str) else value
            if not 0 <= key < len(items):
                raise FunctionError(f"index out of range: {key}")
            current = Typed(items[key], f"{current.place}[]", current.place)
        elif value is None:
            raise FunctionError("index of untyped nil")
        else:
            raise FunctionError(f"can't index item of type {type(value).__name__}")
    return current


def fields(at: Typed, names: list[str], mode: Mode, text: str, offset: int) -> Typed:
    """``.A.B`` from ``at``: docker's rule for a missing name (module docstring)."""
    for name in names:
        current = at.value
        if isinstance(current, dict):
            if name in current:
                found = current[name]
            else:
                folded = {k.lower(): v for k, v in current.items()}
                if name.lower() not in folded and _missing_is_error(mode, at, name):
                    reason = (f'map has no entry for key "{name}"' if mode == "inspect"
                              else f"can't evaluate field {name}")
                    raise ExecError(text, offset, reason)
                found = folded.get(name.lower())
            # an entry of a map is the map's element type: Networks.bridge is "Networks[]"
            at = Typed(found, f"{at.place}[]" if at.is_map else name, at.place)
        else:
            at = Typed(getattr(current, name, None), name, at.place)
        if at.value is None:
            return at
    return at
