"""Tables of ``hullbox compose ps`` and ``images``, laid out as docker compose
prints them."""

from __future__ import annotations

import json
import time
from typing import Any

import click

from hullbox.cli.format import ago, human_duration, print_table, render_template


def _status(record: Any) -> str:
    if record.state == "running":
        return f"Up {human_duration(time.time() - record.started)}"
    if record.state == "exited":
        return f"Exited ({record.exit_code}) {ago(record.finished)}"
    if record.state == "restarting":
        return f"Restarting ({record.exit_code}) {ago(record.finished)}"
    return "Created"


def _row(record: Any) -> dict[str, Any]:
    from hullbox.compose.operations import service_of

    return {
        "ID": record.id, "Name": record.name, "Image": record.image_name,
        "Command": " ".join(record.command), "Project":
        (record.config.get("labels") or {}).get("com.docker.compose.project", ""),
        "Service": service_of(record), "Created": int(record.created),
        "RunningFor": ago(record.created), "State": record.state,
        "Status": _status(record), "ExitCode": record.exit_code, "Ports": "",
        "Labels": ",".join(f"{k}={v}" for k, v in (record.config.get("labels") or {}).items()),
    }


def print_ps(records: list[Any], *, quiet: bool, services: bool, fmt: str | None) -> None:
    """``compose ps``: NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS."""
    if quiet:
        for record in records:
            click.echo(record.id)
        return
    if services:
        for name in dict.fromkeys(_row(r)["Service"] for r in records):
            click.echo(name)
        return
    if fmt == "json":
        click.echo(json.dumps([_row(r) for r in records]))
        return
    if fmt and fmt != "table":
        for record in records:
            click.echo(render_template(fmt, _row(record)))
        return
    rows = []
    for record in records:
        command = " ".join(record.command)
        command = command if len(command) <= 20 else command[:19] + "…"
        rows.append([record.name, record.image_name, f'"{command}"', _row(record)["Service"],
                     ago(record.created), _status(record), ""])
    print_table(["NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS"], rows)


def print_images(engine: Any, records: list[Any], *, quiet: bool) -> None:
    """``compose images``: CONTAINER REPOSITORY TAG IMAGE ID SIZE."""
    from hullbox.engine.units import human_size
    from hullbox.oci.reference import parse

    rows = []
    for record in records:
        image = engine.images.get(record.image_id).record
        if quiet:
            click.echo(image.short_id)
            continue
        ref = parse(record.image_name)
        rows.append([record.name, ref.familiar_name, ref.tag or "latest", image.short_id,
                     human_size(image.size)])
    if not quiet:
        print_table(["CONTAINER", "REPOSITORY", "TAG", "IMAGE ID", "SIZE"], rows)
