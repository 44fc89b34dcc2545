"""``hullbox vm snapshot save|ls|restore|rm``."""

from __future__ import annotations

import time
from typing import Any

import click

from hullbox.cli.format import ago, print_table, render_template
from hullbox.cli.vm_common import pair_command, service


@click.group()
def snapshot() -> None:
    """Snapshots: of a running machine, its whole state; of a stopped one, its disks."""


pair_command(snapshot, "save", "save_snapshot", "tag", "Take a snapshot named TAG.")


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
             for snap in service(obj).snapshots(name)]
    if fmt:
        for item in items:
            click.echo(render_template(fmt, item))
        return
    print_table(["NAME", "KIND", "VM STATE", "CREATED"],
                [[item["Name"], item["Kind"], item["VMStateSize"], item["Created"]]
                 for item in items])


pair_command(snapshot, "restore", "restore_snapshot", "tag",
             "Go back to snapshot TAG (a running machine goes on from that moment).")
pair_command(snapshot, "rm", "remove_snapshot", "tag", "Remove snapshot TAG.")
