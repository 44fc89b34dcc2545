"""The Go text/template subset ``--format`` takes, and the Go spellings of
values (time.Time.String(), encoding/json) that docker prints.

A field missing from a value: docker's templates run on Go structs, where a
name the type lacks is an error, and on maps, where a missing key prints
``<no value>``. hullbox's values are dicts, so the kind of value decides:
- ``listing`` (a row of ps, images, network ls...): every field docker's row
  has is in the dict, so a missing one is an error, unless the value is a map
  (docker_fields.MAP_FIELDS, such as Labels);
- ``inspect``: docker_fields.INSPECT_FIELDS names the fields of docker's
  types; a name the type has but hullbox left out prints ``<no value>``, any
  other missing name is an error, and map keys print ``<no value>``;
- ``lenient`` (info, version, events...): a missing field prints ``<no value>``.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any, Literal

import click

from hullbox.cli.docker_fields import INSPECT_FIELDS, MAP_FIELDS, MAP_UNDER
from hullbox.errors import TemplateError

Mode = Literal["lenient", "listing", "inspect"]


class _MissingField(Exception):
    def __init__(self, name: str, in_map: bool) -> None:
        super().__init__(name)
        self.name = name
        self.in_map = in_map


def go_time(timestamp: float, *, fraction: bool = False) -> str:
    """Go's time.Time.String() of a local time: ``2024-01-02 03:04:05 +0000 UTC``,
    with the nanoseconds (trailing zeros dropped) when ``fraction``."""
    moment = datetime.datetime.fromtimestamp(timestamp).astimezone()
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    if fraction and moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return f"{text} {moment.strftime('%z')} {moment.tzname()}"


def go_rfc3339(timestamp: float) -> str:
    """Go's time.Unix(t, 0).Format(time.RFC3339) of a local time:
    ``2024-01-02T03:04:05Z``, or ``...+02:00`` away from UTC."""
    moment = datetime.datetime.fromtimestamp(int(timestamp)).astimezone()
    text = moment.isoformat(timespec="seconds")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def go_json(value: Any, *, escape_html: bool = False, sort_keys: bool = False) -> str:
    """encoding/json's compact form; docker's listing rows (a map marshalled
    by json.Marshal) have sorted keys and <, >, & escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    if escape_html:
        text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text


def _go_string(value: Any) -> str:
    """How Go's template prints a value."""
    if value is None:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + " ".join(_go_string(v) for v in value) + "]"
    if isinstance(value, dict):
        inner = " ".join(f"{k}:{_go_string(v)}" for k, v in sorted(value.items()))
        return f"map[{inner}]"
    return str(value)


def _missing_is_error(mode: Mode, place: str, parent: str, name: str) -> bool:
    if mode == "lenient" or place in MAP_FIELDS or (parent, place) in MAP_UNDER:
        return False
    if mode == "listing":
        return True
    known = INSPECT_FIELDS.get(place)
    return known is None or name not in known


def _lookup(obj: Any, path: str, mode: Mode) -> Any:
    current = obj
    place, parent = "", ""
    for part in [p for p in path.split(".") if p]:
        if isinstance(current, dict):
            if part in current:
                found = current[part]
            else:
                folded = {k.lower(): v for k, v in current.items()}
                if part.lower() not in folded and _missing_is_error(mode, place, parent, part):
                    raise _MissingField(part, in_map=mode == "inspect")
                found = folded.get(part.lower())
            # an entry of a map is the map's element type: Networks.bridge is "Networks[]"
            is_map = place in MAP_FIELDS or (parent, place) in MAP_UNDER
            parent, place = place, (f"{place}[]" if is_map else part)
            current = found
        else:
            current = getattr(current, part, None)
        if current is None:
            return None
    return current


def _evaluate(expr: str, obj: Any, mode: Mode) -> str:
    words = expr.split()
    if not words:
        return ""
    if words == ["json", "."]:
        words = ["json"]
    if words[0] == "json" and len(words) == 2:
        return go_json(_lookup(obj, words[1], mode))
    if words[0] in ("upper", "lower") and len(words) == 2:
        text = _go_string(_lookup(obj, words[1], mode))
        return text.upper() if words[0] == "upper" else text.lower()
    if words[0] == "index" and len(words) == 3:
        container = _lookup(obj, words[1], mode)
        key = words[2].strip('"')
        if isinstance(container, dict):
            return _go_string(container.get(key))
        if isinstance(container, list) and key.isdigit() and int(key) < len(container):
            return _go_string(container[int(key)])
        return "<no value>"
    if words[0] == "join" and len(words) == 3:
        items = _lookup(obj, words[1], mode) or []
        return str(words[2].strip('"')).join(_go_string(i) for i in items)
    if len(words) == 1 and words[0].startswith("."):
        return _go_string(_lookup(obj, words[0], mode))
    if words[0] == "json" and len(words) == 1:
        # a listing row is a map docker marshals with json.Marshal
        listing = mode == "listing"
        return go_json(obj, escape_html=listing, sort_keys=listing)
    raise click.UsageError(f"template: unsupported action {{{{{expr}}}}}")


_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")


def _field_error(template: str, match: re.Match[str], missing: _MissingField) -> TemplateError:
    """Go's message: the line and column of the field, the field as typed."""
    expr = match.group(1)
    field = next((w for w in expr.split() if w.startswith(".")
                  and f".{missing.name}".lower() in w.lower()), expr)
    offset = match.start(1) + max(expr.find(field), 0)
    line = template.count("\n", 0, offset) + 1
    column = offset - (template.rfind("\n", 0, offset) + 1)
    reason = (f'map has no entry for key "{missing.name}"' if missing.in_map
              else f"can't evaluate field {missing.name}")
    return TemplateError(f'template: :{line}:{column}: executing "" at <{field}>: {reason}')


def render_template(template: str, obj: Any, mode: Mode = "lenient") -> str:
    """Render the ``--format`` subset: ``{{.A.B}}``, ``{{json .A}}``,
    ``{{index .A "k"}}``, ``{{join .A ","}}``, ``{{upper .A}}``; ``\\t`` and ``\\n``
    escapes as Docker accepts them. Raises TemplateError for a missing field
    (see the module's docstring for when)."""
    template = template.replace("\\t", "\t").replace("\\n", "\n")

    def action(match: re.Match[str]) -> str:
        try:
            return _evaluate(match.group(1), obj, mode)
        except _MissingField as missing:
            raise _field_error(template, match, missing) from None

    return _ACTION.sub(action, template)
