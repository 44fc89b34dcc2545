"""Tables of ``hullbox compose ps`` and ``images``, laid out as docker compose
prints them."""

from __future__ import annotations

import time
from typing import Any

import click

from hullbox.cli.format import ago, human_duration, print_formatted, print_table


def _status(record: Any) -> str:
    if record.state == "running":
        from hullbox.engine.runstatus import running_note

        return f"Up {human_duration(time.time() - record.started)}{running_note(record)}"
    if record.state == "exited":
        return f"Exited ({record.exit_code}) {ago(record.finished)}"
    if record.state == "restarting":
        return f"Restarting ({record.exit_code}) {ago(record.finished)}"
    return "Created"


def _without_init(command: list[str]) -> list[str]:
    """The command as the user wrote it, without the init that ``init: true``
    put before it in containers made before it became run's --init."""
    from hullbox.engine.namespace_spec import INIT_PATH

    return command[2:] if command[:2] == [INIT_PATH, "--"] else command


def _published(engine: Any, record: Any) -> list[Any]:
    if record.state != "running":
        return []
    from hullbox.engine.networks import published

    return list(published(engine.store, record.id))


def _row(engine: Any, record: Any) -> dict[str, Any]:
    """compose ps's row (since compose 2.21): docker ps's fields and compose's."""
    from hullbox.cli.ps_row import docker_row_fields, quoted_command
    from hullbox.compose.operations import service_of
    from hullbox.engine.runstatus import health_status, status

    ports = _published(engine, record)
    return {
        **docker_row_fields(engine, record, no_trunc=False),
        "ID": record.short_id, "Name": record.name, "Names": record.name,
        "Image": record.image_name,
        "Command": quoted_command(_without_init(record.command), no_trunc=False),
        "Project": (record.config.get("labels") or {}).get("com.docker.compose.project", ""),
        "Service": service_of(record),
        "RunningFor": ago(record.created), "State": status(record),
        "Health": health_status(record),
        "Status": _status(record), "ExitCode": record.exit_code,
        "Ports": ", ".join(str(p) for p in ports),
        "Publishers": [{"URL": p.host_ip, "TargetPort": p.container_port,
                        "PublishedPort": p.host_port, "Protocol": p.proto} for p in ports],
    }


_HEADERS = {"ID": "CONTAINER ID", "RunningFor": "CREATED", "CreatedAt": "CREATED AT"}


def print_ps(engine: Any, records: list[Any], *, quiet: bool, services: bool,
             fmt: str | None) -> None:
    """``compose ps``: NAME IMAGE COMMAND SERVICE CREATED STATUS PORTS."""
    if quiet:
        for record in records:
            click.echo(record.id)
        return
    if services:
        from hullbox.compose.operations import service_of

        for name in dict.fromkeys(service_of(r) for r in records):
            click.echo(name)
        return
    # JSON Lines, as docker ps prints them (compose 2.21 and later)
    if print_formatted([_row(engine, r) for r in records] if fmt else [], fmt,
                       _HEADERS):
        return
    rows = []
    for record in records:
        row = _row(engine, record)
        rows.append([record.name, record.image_name, row["Command"], row["Service"],
                     ago(record.created), row["Status"], row["Ports"]])
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
