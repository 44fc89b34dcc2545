"""Output as Docker prints it: tab-aligned tables, human durations, and a Go
text/template subset for ``--format``."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from typing import Any

import click


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Columns padded like Go's tabwriter with Docker's padding of 3."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    for line in [headers, *rows]:
        cells = [cell.ljust(w) for cell, w in zip(line, widths, strict=True)]
        click.echo("   ".join(cells).rstrip())


def format_rows(rows: Sequence[dict[str, Any]], fmt: str | None,
                headers: dict[str, str] | None = None) -> list[str] | None:
    """The lines of a listing for ``--format``, as Docker prints them: ``json``
    (an object a line), a Go template a row, or ``table TEMPLATE`` (the fields'
    headers, from ``headers`` or the field upper-cased, then aligned columns).
    None when the caller's default table is wanted (no format, or ``table``)."""
    if fmt == "json":
        return [json.dumps(row) for row in rows]
    if not fmt or fmt.strip() == "table":
        return None
    if not fmt.startswith("table"):
        return [render_template(fmt, row) for row in rows]
    cells = fmt.removeprefix("table").strip().replace("\\t", "\t").split("\t")
    names = headers or {}

    def header(match: re.Match[str]) -> str:
        return names.get(match.group(1), match.group(1).upper())

    titles = [re.sub(r"\{\{\s*\.(\w+)\s*\}\}", header, cell) for cell in cells]
    table = [[render_template(cell, row) for cell in cells] for row in rows]
    widths = [max(len(line[i]) for line in [titles, *table]) for i in range(len(cells))]
    return ["   ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
            for line in [titles, *table]]


def print_formatted(rows: Sequence[dict[str, Any]], fmt: str | None,
                    headers: dict[str, str] | None = None) -> bool:
    """Print the rows as ``--format`` asks; False when the default table is wanted."""
    lines = format_rows(rows, fmt, headers)
    if lines is None:
        return False
    for line in lines:
        click.echo(line)
    return True


def human_duration(seconds: float) -> str:
    """go-units HumanDuration: 'Less than a second', '3 seconds', 'About a minute'."""
    s = int(seconds)
    if seconds < 1:
        return "Less than a second"
    if s == 1:
        return "1 second"
    if s < 60:
        return f"{s} seconds"
    minutes = s // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = round(s / 3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{hours // 24 // 365} years"


def ago(timestamp: float) -> str:
    return f"{human_duration(time.time() - timestamp)} ago"


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


_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")


def _lookup(obj: Any, path: str) -> Any:
    current = obj
    for part in [p for p in path.split(".") if p]:
        if isinstance(current, dict):
            if part in current:
                current = current[part]
                continue
            folded = {k.lower(): v for k, v in current.items()}
            current = folded.get(part.lower())
        else:
            current = getattr(current, part, None)
        if current is None:
            return None
    return current


def _evaluate(expr: str, obj: Any) -> str:
    words = expr.split()
    if not words:
        return ""
    if words[0] == "json" and len(words) == 2:
        return json.dumps(_lookup(obj, words[1]))
    if words[0] in ("upper", "lower") and len(words) == 2:
        text = _go_string(_lookup(obj, words[1]))
        return text.upper() if words[0] == "upper" else text.lower()
    if words[0] == "index" and len(words) == 3:
        container = _lookup(obj, words[1])
        key = words[2].strip('"')
        if isinstance(container, dict):
            return _go_string(container.get(key))
        if isinstance(container, list) and key.isdigit() and int(key) < len(container):
            return _go_string(container[int(key)])
        return "<no value>"
    if words[0] == "join" and len(words) == 3:
        items = _lookup(obj, words[1]) or []
        return str(words[2].strip('"')).join(_go_string(i) for i in items)
    if len(words) == 1 and words[0].startswith("."):
        return _go_string(_lookup(obj, words[0]))
    if words[0] == "json" and len(words) == 1:
        return json.dumps(obj)
    raise click.UsageError(f"template: unsupported action {{{{{expr}}}}}")


def render_template(template: str, obj: Any) -> str:
    """Render the ``--format`` subset: ``{{.A.B}}``, ``{{json .A}}``,
    ``{{index .A "k"}}``, ``{{join .A ","}}``, ``{{upper .A}}``; ``\\t`` and ``\\n``
    escapes as Docker accepts them."""
    template = template.replace("\\t", "\t").replace("\\n", "\n")
    return _ACTION.sub(lambda m: _evaluate(m.group(1), obj), template)


def print_inspect(items: list[Any], fmt: str | None) -> None:
    """``inspect`` output: each item through the ``--format`` template, or the
    whole list as indented JSON, as Docker prints it."""
    if fmt:
        for item in items:
            click.echo(render_template(fmt, item))
    else:
        click.echo(json.dumps(items, indent=4))
