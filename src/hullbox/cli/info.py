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
        **_userns_facts(),
    }


def _userns_facts() -> dict[str, Any]:
    """Rootless or not, and which user id mapping containers get."""
    from hullbox.engine.rootless import cgroups_delegated, id_maps, is_rootless
    from hullbox.engine.userns_options import kernel_allows_userns
    from hullbox.engine.userns_ranges import POOL_OWNER, SUBUID, read_subids

    rootless = is_rootless()
    if rootless:
        mapping = id_maps()[2]
    else:
        pool = [(s, c) for owner, s, c in read_subids(SUBUID) if owner == POOL_OWNER]
        where = (f"{pool[0][0]}:{pool[0][1]} ({SUBUID} entry {POOL_OWNER!r})" if pool
                 else f"from 100000 up, skipping the users' ranges in {SUBUID}")
        mapping = f"none by default (host ids); --userns auto: a range {where}"
    limits = "applied" if not rootless or cgroups_delegated() else \
        "not applied (cgroups are not delegated to this user)"
    return {"Rootless": rootless, "IDMapping": mapping, "CgroupLimits": limits,
            "UserNamespaces": kernel_allows_userns() or "yes"}


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
    click.echo(f"Rootless: {'yes' if facts['Rootless'] else 'no'}")
    click.echo(f"User Namespaces: {facts['UserNamespaces']}")
    click.echo(f"ID Mapping: {facts['IDMapping']}")
    click.echo(f"Cgroup Limits: {facts['CgroupLimits']}")


def register(cli: click.Group) -> None:
    cli.add_command(info)
