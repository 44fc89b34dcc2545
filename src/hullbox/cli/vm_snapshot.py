"""``hullbox vm snapshot save|ls|restore|rm``."""

from __future__ import annotations

import time
from typing import Any

import click

from hullbox.cli.format import ago, print_table, render_template


def _service(obj: Any) -> Any:
    from hullbox.cli.vm import _service as service

    return service(obj)


@click.group()
def snapshot() -> None:
    """Snapshots: of a running machine, its whole state; of a stopped one, its disks."""


@snapshot.command()
@click.argument("name")
@click.argument("tag")
@click.pass_obj
def save(obj: Any, name: str, tag: str) -> None:
    """Take a snapshot named TAG."""
    _service(obj).save_snapshot(name, tag)
    click.echo(tag)


@snapshot.command(name="ls")
@click.option("-f", "--format", "fmt", help="Go template, e.g. '{{.Name}}'.")
@click.argument("name")
@click.pass_obj
def ls(obj: Any, fmt: str | None, name: str) -> None:
    """List a machine's snapshots."""
    from hullbox.vm.units import human_bytes

    items = [{"Name": snap.name, "Kind": "full" if snap.full else "disk",
              "VMStateSize": human_bytes(snap.vm_state_size) if snap.full else "-",
              "Created": ago(snap.date) if snap.date else "",
              "Date": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(snap.date))}
             for snap in _service(obj).snapshots(name)]
    if fmt:
        for item in items:
            click.echo(render_template(fmt, item))
        return
    print_table(["NAME", "KIND", "VM STATE", "CREATED"],
                [[item["Name"], item["Kind"], item["VMStateSize"], item["Created"]]
                 for item in items])


@snapshot.command()
@click.argument("name")
@click.argument("tag")
@click.pass_obj
def restore(obj: Any, name: str, tag: str) -> None:
    """Go back to snapshot TAG (a running machine goes on from that moment)."""
    _service(obj).restore_snapshot(name, tag)
    click.echo(tag)


@snapshot.command()
@click.argument("name")
@click.argument("tag")
@click.pass_obj
def rm(obj: Any, name: str, tag: str) -> None:
    """Remove snapshot TAG."""
    _service(obj).remove_snapshot(name, tag)
    click.echo(tag)
