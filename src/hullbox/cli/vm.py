"""``hullbox vm``: virtual machines on QEMU (create, start, console, stop,
snapshots...). Each verb parses, makes one MachineService call, formats."""

from __future__ import annotations

import time
from typing import Any

import click

from hullbox.cli.format import ago, human_duration, print_inspect, print_table, render_template
from hullbox.cli.vm_common import each as _each
from hullbox.cli.vm_common import each_command
from hullbox.cli.vm_common import service as _service
from hullbox.errors import HullboxError


@click.group(name="vm")
def vm() -> None:
    """Manage virtual machines (QEMU; KVM when it works here, else TCG)."""


@vm.command()
@click.argument("name")
@click.option("--cpus", type=int, default=1, show_default=True, help="Virtual CPUs.")
@click.option("-m", "--memory", default="512M", show_default=True, help="RAM (512M, 2G).")
@click.option("--disk", help="System disk size (default 10G, or the image's size).")
@click.option("--kernel", help="Boot this kernel directly (no bootloader).")
@click.option("--initrd", help="Initramfs for --kernel.")
@click.option("--append", default="", help="Kernel command line for --kernel.")
@click.option("--image", help="Copy this disk image (qcow2, raw...) as the system disk.")
@click.option("--iso", help="Attach this ISO as a CD-ROM and boot from it.")
@click.option("-p", "--publish", multiple=True, metavar="[IP:]HOST:GUEST",
              help="Forward a host port to the guest (user-mode NAT).")
@click.option("--network", default="", metavar="NETWORK",
              help="Put the NIC on this hullbox network (a tap on its bridge, an "
                   "address from its IPAM) instead of user-mode NAT (\"user\").")
@click.option("--cloud-init", "cloud_init", metavar="USER-DATA",
              help="A #cloud-config (or #! script) file, given to the guest on a "
                   "NoCloud seed disk (label cidata).")
@click.pass_obj
def create(obj: Any, name: str, cpus: int, memory: str, disk: str | None, kernel: str | None,
           initrd: str | None, append: str, image: str | None, iso: str | None,
           publish: tuple[str, ...], network: str, cloud_init: str | None) -> None:
    """Define a virtual machine and make its disk."""
    from hullbox.vm.definitions import MachineSpec

    _default_network(obj, network)
    spec = MachineSpec(name, cpus, memory, disk, kernel, initrd, append, image, iso, publish,
                       cloud_init, network)
    click.echo(_service(obj).create(spec).id)


def _status_text(view: Any) -> str:
    record, status = view.record, view.status
    if status.alive:
        return f"Up {human_duration(time.time() - record.started)}" + (
            " (Paused)" if status.state == "paused" else "")
    if status.error:
        return f"Died {ago(record.finished)}: {status.error}"
    if record.finished:
        return f"Stopped {ago(record.finished)}"
    return "Created"


def _ls_item(view: Any) -> dict[str, Any]:
    from hullbox.vm.units import human_bytes

    config = view.record.config
    return {"ID": view.record.id[:12], "Name": view.record.name, "State": view.status.state,
            "Status": _status_text(view), "Cpus": str(config.cpus),
            "Memory": human_bytes(config.memory_mib << 20),
            "Disk": human_bytes(config.disk_size),
            "Network": config.network or "user", "Addresses": _addresses(view.networks),
            "Ports": ", ".join(str(port) for port in config.ports)}


def _addresses(networks: dict[str, Any]) -> str:
    """Where a running machine is reached on its hullbox network."""
    return ", ".join(f"{endpoint['IPAddress']} ({name})" for name, endpoint in networks.items())


@vm.command(name="ls")
@click.option("-q", "--quiet", is_flag=True, help="Only names.")
@click.option("-f", "--format", "fmt", help="Go template, e.g. '{{.Name}} {{.State}}'.")
@click.pass_obj
def ls(obj: Any, quiet: bool, fmt: str | None) -> None:
    """List virtual machines and their state (running, paused, stopped, saved)."""
    items = [_ls_item(view) for view in _service(obj).list()]
    if quiet:
        for item in items:
            click.echo(item["Name"])
    elif fmt:
        for item in items:
            click.echo(render_template(fmt, item))
    else:
        headers = ["NAME", "ID", "STATE", "CPUS", "MEMORY", "DISK", "ADDRESSES", "PORTS",
                   "STATUS"]
        keys = ["Name", "ID", "State", "Cpus", "Memory", "Disk", "Addresses", "Ports", "Status"]
        print_table(headers, [[item[key] for key in keys] for item in items])


@vm.command()
@click.option("-f", "--format", "fmt", help="Go template, e.g. '{{.State.Status}}'.")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def inspect(obj: Any, fmt: str | None, names: tuple[str, ...]) -> int:
    """Everything about virtual machines, as JSON."""
    service = _service(obj)
    items: list[Any] = []
    failed = False
    for name in names:
        try:
            items.append(service.inspect(name).to_inspect())
        except HullboxError as exc:
            click.echo(f"hullbox: {exc}", err=True)
            failed = True
    print_inspect(items, fmt)
    return 125 if failed else 0


_DETACH_HELP = "Key sequence that detaches from the console (default ctrl-p,ctrl-q)."


def _attach(obj: Any, name: str, detach_keys: str) -> None:
    from hullbox.vm.console import attach, parse_detach_keys

    keys = parse_detach_keys(detach_keys)
    service = _service(obj)
    record = service.records.get(name)
    service.require_running(record, "attach to")
    attach(service.paths(record).console_socket, record.name, keys,
           f"Connected to the console of VM {record.name}; detach with {detach_keys}")


def _default_network(obj: Any, network: str | None) -> None:
    """The store's default ``bridge`` network is recorded on first use."""
    if network == "bridge":
        from hullbox.engine.networking import default_network
        from hullbox.store.store import Store

        default_network(Store(obj.root))


@vm.command()
@click.argument("name")
@click.option("-p", "--publish", multiple=True, metavar="[IP:]HOST:GUEST",
              help="Also forward this host port to the guest (kept for later starts).")
@click.option("--network", metavar="NETWORK",
              help="Start on this hullbox network, or \"user\" for user-mode NAT "
                   "(kept for later starts).")
@click.option("-c", "--console", is_flag=True, help="Attach to the serial console.")
@click.option("--detach-keys", default="ctrl-p,ctrl-q", help=_DETACH_HELP)
@click.pass_obj
def start(obj: Any, name: str, publish: tuple[str, ...], network: str | None, console: bool,
          detach_keys: str) -> None:
    """Start a virtual machine (QEMU runs detached)."""
    _default_network(obj, network)
    record = _service(obj).start(name, publish, network)
    if console:
        _attach(obj, record.name, detach_keys)
    else:
        click.echo(record.name)


@vm.command()
@click.argument("name")
@click.option("--detach-keys", default="ctrl-p,ctrl-q", help=_DETACH_HELP)
@click.pass_obj
def console(obj: Any, name: str, detach_keys: str) -> None:
    """Attach to a running machine's serial console."""
    _attach(obj, name, detach_keys)


_STOP_TIMEOUT = click.option("-t", "--time", "timeout", type=float, default=10,
                             show_default=True, help="Seconds to wait for the guest to "
                             "power off before forcing it.")


@vm.command()
@_STOP_TIMEOUT
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def stop(obj: Any, timeout: float, names: tuple[str, ...]) -> int:
    """Press the ACPI power button; force the machine off after a timeout."""
    service = _service(obj)
    return _each(names, lambda name: service.stop(name, timeout))


@vm.command()
@_STOP_TIMEOUT
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def restart(obj: Any, timeout: float, names: tuple[str, ...]) -> int:
    """Stop, then start, virtual machines."""
    service = _service(obj)
    return _each(names, lambda name: (service.stop(name, timeout), service.start(name)))


each_command(vm, "kill", "kill", "Pull the plug on running machines.")
each_command(vm, "pause", "pause", "Freeze running machines (their vCPUs stop).")
each_command(vm, "resume", "resume", "Let paused machines run again.")


@vm.command()
@click.option("-f", "--force", is_flag=True, help="Kill and remove running machines.")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def rm(obj: Any, force: bool, names: tuple[str, ...]) -> int:
    """Remove virtual machines and their disks and snapshots."""
    service = _service(obj)
    return _each(names, lambda name: service.remove(name, force))


@vm.command()
@click.argument("name")
@click.option("--cpus", type=int, help="Virtual CPUs.")
@click.option("-m", "--memory", help="RAM (512M, 2G).")
@click.pass_obj
def modify(obj: Any, name: str, cpus: int | None, memory: str | None) -> None:
    """Change a stopped machine's CPUs or memory."""
    click.echo(_service(obj).modify(name, cpus, memory).name)


def register(cli: click.Group) -> None:
    from hullbox.cli import vm_disk
    from hullbox.cli.vm_snapshot import snapshot

    vm.add_command(ls, "list")
    vm.add_command(snapshot)
    vm_disk.register(vm)
    cli.add_command(vm)
