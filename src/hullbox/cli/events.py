"""``hullbox events`` (and ``system events``): what happened to containers,
images, networks and volumes, from the store's journal, then as it happens."""

from __future__ import annotations

import datetime
import json
import sys
from typing import Any

import click


def event_time(time_nano: int) -> str:
    """Go's RFC3339NanoFixed in local time, as ``docker events`` prints it."""
    moment = datetime.datetime.fromtimestamp(time_nano // 1_000_000_000).astimezone()
    offset = moment.strftime("%z")
    zone = "Z" if offset in ("+0000", "") else f"{offset[:3]}:{offset[3:]}"
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{time_nano % 1_000_000_000:09d}{zone}"


def event_line(event: dict[str, Any]) -> str:
    """``TIME TYPE ACTION ID (k=v, ...)``, the attributes sorted by key."""
    actor = event["Actor"]
    line = f"{event_time(event['timeNano'])} {event['Type']} {event['Action']} {actor['ID']}"
    attributes = actor.get("Attributes") or {}
    if attributes:
        line += " (" + ", ".join(f"{k}={attributes[k]}" for k in sorted(attributes)) + ")"
    return line


@click.command()
@click.option("-f", "--filter", "filters", multiple=True, metavar="KEY=VALUE",
              help="type=container|image|network|volume, event=, container=, image=, "
                   "label=, network=, volume= (repeat a key for OR).")
@click.option("--format", "fmt", help="json, or a Go template ('{{json .}}', '{{.Action}}').")
@click.option("--since", help="Events since a time (RFC 3339, Unix seconds) or a duration "
              "ago (10m).")
@click.option("--until", help="Stop at this time (or a duration ago); without it, new "
              "events stream until Ctrl-C.")
@click.pass_obj
def events(obj: Any, filters: tuple[str, ...], fmt: str | None, since: str | None,
           until: str | None) -> None:
    """Show events: past ones with --since/--until, then new ones as they happen."""
    import time

    from hullbox.cli.format import render_template
    from hullbox.engine.event_query import EventQuery, parse_event_filters, parse_time_ns

    now = time.time()
    query = EventQuery(parse_event_filters(filters),
                       parse_time_ns(since, "--since", now) if since else None,
                       parse_time_ns(until, "--until", now) if until else None)
    if fmt is not None and fmt.startswith("table"):
        from hullbox.errors import InvalidArgument

        raise InvalidArgument("--format table is not supported by events; "
                              "use json or a template")
    for event in query.select(obj.engine.store.root):
        if fmt is not None and fmt.strip() in ("json", "{{json .}}"):
            line = json.dumps(event, separators=(",", ":"))  # as Go's encoder writes it
        elif fmt:
            line = render_template(fmt, event)
        else:
            line = event_line(event)
        click.echo(line)
        sys.stdout.flush()
