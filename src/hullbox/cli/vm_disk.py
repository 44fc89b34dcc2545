"""``hullbox vm clone|export``, ``hullbox vm disk create|attach|detach`` and
``hullbox vm attach|detach`` (the same two, one level up)."""

from __future__ import annotations

from typing import Any

import click

from hullbox.cli.vm_common import pair_command
from hullbox.cli.vm_common import service as _service


@click.command()
@click.argument("source")
@click.argument("name")
@click.pass_obj
def clone(obj: Any, source: str, name: str) -> None:
    """Make NAME from a stopped machine SOURCE: a qcow2 overlay on its disk (a
    full copy if SOURCE has snapshots)."""
    click.echo(_service(obj).clone(source, name).id)


@click.command()
@click.argument("name")
@click.argument("target")
@click.pass_obj
def export(obj: Any, name: str, target: str) -> None:
    """Write a stopped machine's disk to TARGET (qcow2; raw for .raw/.img)."""
    click.echo(_service(obj).export(name, target))


@click.group()
def disk() -> None:
    """Data disks: create qcow2 files, attach them to machines (running or not)."""


@disk.command(name="create")
@click.argument("path")
@click.argument("size")
@click.pass_obj
def create_disk(obj: Any, path: str, size: str) -> None:
    """Create an empty qcow2 disk of SIZE (10G) at PATH."""
    click.echo(_service(obj).create_disk(path, size))


pair_command(disk, "attach", "attach_disk", "path",
             "Attach the disk at PATH to machine NAME as a virtio disk; to a running one, "
             "it is plugged in at once (PCIe hotplug).")
pair_command(disk, "detach", "detach_disk", "path",
             "Detach the disk at PATH from machine NAME (the file stays); a running one's "
             "guest is asked to let go of it first.")


def register(vm: click.Group) -> None:
    vm.add_command(clone)
    vm.add_command(export)
    vm.add_command(disk)
    # `vm attach deb extra.qcow2` as the issue and VBoxManage's storageattach put
    # it: the same commands as `vm disk attach|detach`, one level up
    vm.add_command(disk.commands["attach"], name="attach")
    vm.add_command(disk.commands["detach"], name="detach")
