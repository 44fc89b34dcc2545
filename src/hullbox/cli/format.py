"""Output as Docker prints it: tab-aligned tables, human durations, and a Go
text/template subset for ``--format``."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from typing import Any

import click

from hullbox.cli.gotemplate import go_json, render_template
from hullbox.errors import InspectTemplateError, TemplateError

__all__ = ["ago", "format_rows", "human_duration", "print_formatted", "print_inspect",
           "print_table", "render_template"]


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
        # docker marshals each row as a map: sorted keys, compact, HTML-escaped
        return [go_json(row, escape_html=True, sort_keys=True) for row in rows]
    if not fmt or fmt.strip() == "table":
        return None
    if not fmt.startswith("table"):
        return [render_template(fmt, row, "listing") for row in rows]
    cells = fmt.removeprefix("table").strip().replace("\\t", "\t").split("\t")
    names = headers or {}

    def header(match: re.Match[str]) -> str:
        return names.get(match.group(1), match.group(1).upper())

    titles = [re.sub(r"\{\{\s*\.(\w+)\s*\}\}", header, cell) for cell in cells]
    if rows:
        # a cell with actions: docker runs it on a row of the headers
        heading = {key: names.get(key, key.upper()) for key in rows[0]}
        titles = [render_template(cell, heading) if "{{" in title else title
                  for cell, title in zip(cells, titles, strict=True)]
    table = [[render_template(cell, row, "listing") for cell in cells] for row in rows]
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


def print_inspect(items: list[Any], fmt: str | None) -> None:
    """``inspect`` output: each item through the ``--format`` template, or the
    whole list as indented JSON, as Docker prints it."""
    if fmt:
        failure: TemplateError | None = None
        for item in items:
            try:
                click.echo(render_template(fmt, item, "inspect"))
            except TemplateError as exc:
                failure = failure or exc
        if failure is not None:
            raise InspectTemplateError(f"template parsing error: {failure}")
    else:
        click.echo(json.dumps(items, indent=4))
