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


def _facts(obj: Any) -> dict[str, Any]:
    import platform

    from hullbox import __version__
    from hullbox.engine import hostinfo
    from hullbox.engine.runstatus import status
    from hullbox.engine.security import security_options
    from hullbox.vm.accel import detect_accel
    from hullbox.vm.kernel import guest_kernel_path
    from hullbox.vm.layout import accel_cache

    store_root = obj.engine.store.root
    kernel = guest_kernel_path()
    accel = detect_accel(kernel if kernel.is_file() else None, accel_cache(store_root))
    states = [status(record) for record in obj.engine.containers.list(all=True)]
    network = hostinfo.network_facts()
    userns = _userns_facts()
    rootless_warnings = userns.pop("RootlessWarnings")
    security = security_options()
    return {
        "Containers": len(states),
        "ContainersRunning": states.count("running"),
        "ContainersPaused": states.count("paused"),
        "ContainersStopped": len(states) - states.count("running") - states.count("paused"),
        "Images": len(obj.engine.images.list()),
        "ServerVersion": __version__,
        "Driver": "overlay",
        "BackingFilesystem": hostinfo.backing_filesystem(store_root),
        "CgroupDriver": "cgroupfs",
        "CgroupVersion": _cgroup_version(),
        "Runtimes": hostinfo.runtimes(),
        "DefaultRuntime": "hullbox",
        "SecurityOptions": security,
        "KernelVersion": platform.release(),
        "OperatingSystem": hostinfo.operating_system(),
        "OSType": "linux",
        "Architecture": platform.machine(),
        "NCPU": os.cpu_count() or 1,
        "MemTotal": hostinfo.total_memory(),
        "Name": platform.node(),
        "HullboxRootDir": str(store_root),
        **network,
        "VMAccelerator": accel.name,
        "VMAcceleratorReason": accel.reason,
        "GuestKernel": str(kernel) if kernel.is_file() else "",
        **userns,
        "Warnings": [*hostinfo.warnings(network, security, userns["UserNamespaces"]),
                     *rootless_warnings],
    }


def _userns_facts() -> dict[str, Any]:
    """Rootless or not, and which user id mapping containers get."""
    from hullbox.engine.rootless import id_maps, is_rootless
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
    limits, warnings = "applied", []
    if rootless:
        from hullbox.engine import rootless_cgroups

        limits = rootless_cgroups.describe()
        warning = rootless_cgroups.missing_controllers_warning()
        warnings = [warning] if warning else []
    return {"Rootless": rootless, "IDMapping": mapping, "CgroupLimits": limits,
            "UserNamespaces": kernel_allows_userns() or "yes", "RootlessWarnings": warnings}


def _lines(facts: dict[str, Any]) -> list[str]:
    """docker info's layout: a fact a line, details indented under it."""
    def yes(value: Any) -> str:
        return "yes" if value else "no"

    bridge_nf = facts["BridgeNfIptables"]
    bridge_nf = "not loaded" if bridge_nf is None else yes(bridge_nf == "1")
    return [
        f"Containers: {facts['Containers']}",
        f" Running: {facts['ContainersRunning']}",
        f" Paused: {facts['ContainersPaused']}",
        f" Stopped: {facts['ContainersStopped']}",
        f"Images: {facts['Images']}",
        f"Server Version: {facts['ServerVersion']}",
        f"Storage Driver: {facts['Driver']}",
        f" Backing Filesystem: {facts['BackingFilesystem']}",
        f"Cgroup Driver: {facts['CgroupDriver']}",
        f"Cgroup Version: {facts['CgroupVersion']}",
        f"Cgroup Limits: {facts['CgroupLimits']}",
        f"Runtimes: {' '.join(facts['Runtimes'])}",
        f"Default Runtime: {facts['DefaultRuntime']}",
        "Security Options: " + (", ".join(facts["SecurityOptions"]) or "none"),
        f"Rootless: {yes(facts['Rootless'])}",
        f"User Namespaces: {facts['UserNamespaces']}",
        f"ID Mapping: {facts['IDMapping']}",
        f"Kernel Version: {facts['KernelVersion']}",
        f"Operating System: {facts['OperatingSystem']}",
        f"OSType: {facts['OSType']}",
        f"Architecture: {facts['Architecture']}",
        f"CPUs: {facts['NCPU']}",
        f"Total Memory: {facts['MemTotal'] / 2**30:.2f}GiB",
        f"Name: {facts['Name']}",
        f"Hullbox Root Dir: {facts['HullboxRootDir']}",
        ("Network: slirp4netns (default) host none container" if facts["Rootless"] else
         "Network: bridge host none container; nftables " + (facts["NFTables"] or "missing")),
        f" IPv4 Forwarding: {yes(facts['IPv4Forwarding'])}",
        f" IPv6: {yes(facts['IPv6'])}",
        f" Bridge netfilter (iptables): {bridge_nf}",
        f"VM Accelerator: {facts['VMAccelerator']} ({facts['VMAcceleratorReason']})",
        "Guest Kernel: " + (facts["GuestKernel"] or "none (run scripts/fetch-guest-kernel.sh)"),
        *(f"WARNING: {warning}" for warning in facts["Warnings"]),
    ]


@click.command()
@click.option("-f", "--format", "fmt", help="Go template, e.g. '{{.KernelVersion}}', or json.")
@click.pass_obj
def info(obj: Any, fmt: str | None) -> None:
    """Show what this host gives hullbox: kernel, store, runtimes, networking, VMs."""
    import json

    facts = _facts(obj)
    if fmt == "json":
        click.echo(json.dumps(facts))
    elif fmt:
        click.echo(render_template(fmt, facts))
    else:
        click.echo("\n".join(_lines(facts)))


def register(cli: click.Group) -> None:
    from hullbox.cli.version import version

    cli.add_command(info)
    cli.add_command(version)
