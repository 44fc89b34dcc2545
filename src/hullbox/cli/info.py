"""``hullbox info``: what this host gives hullbox (accelerator, cgroups, store)."""

from __future__ import annotations

import os
from typing import Any

import click

from hullbox.cli.format import render_template


def _cgroup_version() -> str:
    from hullbox.runtime.cgroups import CGROUP_ROOT, is_v2

    if is_v2():
        return "2"
    unified = os.path.join(CGROUP_ROOT, "unified")
    return "1 (hybrid: cgroup2 at /sys/fs/cgroup/unified)" if os.path.ismount(unified) else "1"


def _facts(root: str | None) -> dict[str, Any]:
    from hullbox.engine.security import security_options
    from hullbox.store.store import Store
    from hullbox.vm.accel import detect_accel
    from hullbox.vm.kernel import guest_kernel_path
    from hullbox.vm.layout import accel_cache

    store_root = Store(root).root
    kernel = guest_kernel_path()
    accel = detect_accel(kernel if kernel.is_file() else None, accel_cache(store_root))
    return {
        "HullboxRootDir": str(store_root),
        "CgroupVersion": _cgroup_version(),
        "VMAccelerator": accel.name,
        "VMAcceleratorReason": accel.reason,
        "GuestKernel": str(kernel) if kernel.is_file() else "",
        "SecurityOptions": security_options(),
    }


@click.command()
@click.option("-f", "--format", "fmt", help="Go template, e.g. '{{.VMAccelerator}}'.")
@click.pass_obj
def info(obj: Any, fmt: str | None) -> None:
    """Show what this host gives hullbox: VM accelerator, cgroups, store root."""
    facts = _facts(obj.root)
    if fmt:
        click.echo(render_template(fmt, facts))
        return
    click.echo(f"Hullbox Root Dir: {facts['HullboxRootDir']}")
    click.echo(f"Cgroup Version: {facts['CgroupVersion']}")
    click.echo(f"VM Accelerator: {facts['VMAccelerator']} ({facts['VMAcceleratorReason']})")
    kernel = facts["GuestKernel"] or "none (run scripts/fetch-guest-kernel.sh)"
    click.echo(f"Guest Kernel: {kernel}")
    click.echo("Security Options: " + (", ".join(facts["SecurityOptions"]) or "none"))


def register(cli: click.Group) -> None:
    cli.add_command(info)
