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
from typing import Any

from hullbox.cli.template_exec import ExecError, Executor, Mode, Typed
from hullbox.cli.template_funcs import go_json_value
from hullbox.cli.template_parse import parse
from hullbox.errors import TemplateError

__all__ = ["Mode", "go_json", "go_rfc3339", "go_time", "render_template"]


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
    return go_json_value(value, escape_html=escape_html, sort_keys=sort_keys)


def _exec_error(template: str, failure: ExecError) -> TemplateError:
    """Go's message: the line and column of the node, the node as typed."""
    line = template.count("\n", 0, failure.offset) + 1
    column = failure.offset - (template.rfind("\n", 0, failure.offset) + 1)
    return TemplateError(
        f'template: :{line}:{column}: executing "" at <{failure.node}>: {failure.reason}')


def render_template(template: str, obj: Any, mode: Mode = "lenient") -> str:
    """Render a Go text/template (fields, ``range``, ``if``, ``with``,
    variables, pipelines, Go's and docker's functions) on ``obj``; ``\\t``
    and ``\\n`` escapes as Docker accepts them. Raises TemplateError for a
    template Go would refuse or a missing field (see the module's docstring
    for when)."""
    template = template.replace("\\t", "\t").replace("\\n", "\n")
    executor = Executor(obj, mode)
    try:
        executor.run(parse(template), Typed(obj))
    except ExecError as failure:
        raise _exec_error(template, failure) from None
    return "".join(executor.out)
