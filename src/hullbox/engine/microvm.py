"""``--isolation vm``: a container whose process is a microVM (vm.micro).

The container keeps everything else a container has (record, bundle, logs,
monitor, stop/kill/rm); only its process differs. The guest boots from the
template snapshot of the guest kernel, its root disk is the image as ext4.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hullbox.engine.images import ImageService
from hullbox.engine.options import ContainerOptions
from hullbox.engine.rootfs import ContainerPaths
from hullbox.errors import MachineFailure
from hullbox.store.containers import ContainerRecord
from hullbox.store.store import Store
from hullbox.vm.micro.guest import ETC_FILES
from hullbox.vm.micro.machine import GuestSpec
from hullbox.vm.micro.script import GuestCommand, GuestNet, command_to_json

if TYPE_CHECKING:
    from hullbox.network.ipam import Lease, Network
    from hullbox.vm.micro.volumes import Volume


def plan(store: Store, record: ContainerRecord,
         paths: ContainerPaths) -> tuple[GuestSpec, GuestCommand]:
    """The microVM for a prepared bundle (its rootfs mounted, config.json
    written): the template to restore, the root disk, the command."""
    from hullbox.vm.accel import QEMU, detect_accel
    from hullbox.vm.kernel import guest_kernel
    from hullbox.vm.layout import accel_cache
    from hullbox.vm.micro.guest import VOLUME_SLOTS
    from hullbox.vm.micro.imagesnap import ensure_image_snapshot
    from hullbox.vm.micro.keptsnap import UPPER_DISK, kept_spec
    from hullbox.vm.micro.lookup import check_command
    from hullbox.vm.micro.rootdisk import image_disk, legacy_container_disk
    from hullbox.vm.micro.shares import SHARE_SLOTS, share_module_files, with_volumes
    from hullbox.vm.micro.template import ensure_template
    from hullbox.vm.micro.volumes import check_volumes, make_volume_disks
    from hullbox.vm.micro.warm import warm_files

    if shutil.which(QEMU) is None:
        raise MachineFailure(f"--isolation vm needs {QEMU}; install qemu-system-x86")
    options = ContainerOptions.from_json(record.config)
    config = json.loads(paths.config.read_text())
    process = config.get("process", {})
    volumes, tmpfs = _user_mounts(config)
    kernel = guest_kernel()
    # live 9p shares where the guest kernel has 9p; else copies (volumes.py)
    shared = bool(share_module_files(kernel))
    check_volumes(volumes, SHARE_SLOTS if shared else VOLUME_SLOTS, files=shared)
    legacy = legacy_container_disk(paths.base)
    if not volumes and legacy is None and (options.auto_remove
                                           or not (paths.base / UPPER_DISK).exists()):
        # the guest's root is the image as the host has it: a missing command
        # fails as in a container, before a QEMU starts
        check_command(paths.rootfs, process.get("args", []), process.get("env", []),
                      process.get("cwd", "/"))
    accel = detect_accel(kernel, accel_cache(store.root))
    netns = _bridged_netns(options, record)
    leases = _leases(store, record) if netns is not None else []
    template = ensure_template(store.root, kernel, accel,
                               memory_mib=options.isolation.vm_memory_mib,
                               cpus=options.isolation.vm_cpus, nics=len(leases),
                               shares=shared and bool(volumes))
    base = image_disk(store.root, record.image_id, paths.rootfs)
    if legacy is not None:  # made before kept containers had an upper disk
        spec = replace(template.spec, disk=str(legacy), disk_format="qcow2")
    else:
        # a run from the image's snapshot, its root mounted; a kept
        # container's writes go to its own disk, a --rm one's to RAM
        warm = warm_files(paths.rootfs, process.get("args", []), process.get("env", []))
        spec = ensure_image_snapshot(store.root, template, record.image_id, base, warm)
        if not options.auto_remove:
            spec = kept_spec(spec, paths.base)
    spec = replace(spec, console_log=str(paths.base / "vm-console.log"))
    etc = {name: paths.etc_file(name).read_text() for name in ETC_FILES
           if paths.etc_file(name).is_file()}
    nets: list[GuestNet] = []
    if netns is not None:
        from hullbox.vm.micro.tap import plumb, tap_name

        macs = tuple(plumb(netns, index) for index in range(len(leases)))
        spec = replace(spec, taps=tuple(tap_name(index) for index in range(len(leases))),
                       macs=macs, netns=str(netns))
        nets = _guest_nets(leases, macs)
    share_files: list[str] = []
    if volumes and shared:
        from hullbox.vm.micro.share_files import stage_files

        staged, share_files = stage_files(paths.base, volumes)
        spec = with_volumes(spec, staged)
    elif volumes:
        spec = replace(spec, volumes=tuple(str(disk) for disk in
                                           make_volume_disks(paths.base, volumes)))
    command = GuestCommand.from_oci(
        config, etc, interactive=options.interactive, terminal=options.tty, nets=nets,
        volumes=[(volume.destination, volume.readonly) for volume in volumes], tmpfs=tmpfs)
    return spec, replace(command, shares=shared, share_files=share_files)


def _user_mounts(config: dict[str, Any]) -> tuple[list[Volume], list[tuple[str, str]]]:
    """The volumes (-v, --mount, named, --volumes-from) and --tmpfs mounts of
    a container's config.json: what is not a default mount nor an /etc file."""
    from hullbox.oci.runtime_spec import default_spec
    from hullbox.vm.micro.volumes import Volume

    defaults = {mount["destination"] for mount in default_spec([])["mounts"]}
    defaults.update(f"/etc/{name}" for name in ETC_FILES)
    volumes, tmpfs = [], []
    for mount in config.get("mounts", []):
        destination, options = mount.get("destination", ""), mount.get("options", [])
        if destination in defaults:
            continue
        if mount.get("type") == "bind":
            volumes.append(Volume(mount["source"], destination, "ro" in options))
        elif mount.get("type") == "tmpfs":
            tmpfs.append((destination, ",".join(options)))
    return volumes, tmpfs


def collect_volumes(container_dir: Path) -> None:
    """After a microVM: what the guest wrote to its volumes, into the host's
    (copies only: a share has it there already)."""
    from hullbox.vm.micro.share_files import collect_files
    from hullbox.vm.micro.volumes import collect_volumes as collect

    try:
        collect(container_dir)
    finally:
        collect_files(container_dir)


def _bridged_netns(options: ContainerOptions, record: ContainerRecord) -> Path | None:
    """The container's network namespace when it is on a bridge network (the
    engine made it, with eth0 and the address): the guest joins through a tap."""
    from hullbox.engine.networking import is_bridged, mode_of, netns_path

    netns = netns_path(record.id)
    return netns if is_bridged(mode_of(options)) and netns.exists() else None


def _leases(store: Store, record: ContainerRecord) -> list[tuple[Network, Lease]]:
    """The container's networks with its address on each, in eth order."""
    from hullbox.network import ipam

    found = []
    for lease in ipam.leases_of(store, record.id):
        network = ipam.find_network(store, lease.network_id)
        if network is not None:
            found.append((network, lease))
    if not found:
        raise MachineFailure(f"container {record.name} has no address on its network")
    # the host end of eth<N>'s veth ends in N (network.endpoint.host_ifname)
    return sorted(found, key=lambda item: int(item[1].host_ifname[-1], 16))


def _guest_nets(leases: list[tuple[Network, Lease]], macs: tuple[str, ...]) -> list[GuestNet]:
    """Each network's address and MAC for the guest; the first outward
    network gives the default route, as in a container."""
    from hullbox.vm.micro.machine import template_mac

    nets, routed = [], False
    for index, ((network, lease), mac) in enumerate(zip(leases, macs, strict=True)):
        prefix = network.subnet.split("/", 1)[1]
        gateway = network.gateway if not routed and not network.internal else ""
        routed = routed or bool(gateway)
        nets.append(GuestNet(address=f"{lease.address}/{prefix}", gateway=gateway, mac=mac,
                             template_mac=template_mac(index)))
    return nets


def run_attached(store: Store, record: ContainerRecord, paths: ContainerPaths, *,
                 stdin: int | None, stdout: int, stderr: int,
                 on_start: Callable[[int], None]) -> int:
    """In the foreground: this process relays the guest, so it is the pid
    ``stop`` and ``kill`` signal."""
    from hullbox.vm.micro.session import run_guest

    spec, command = plan(store, record, paths)
    try:
        return run_guest(spec, command, stdin=stdin, stdout=stdout, stderr=stderr,
                         log=paths.base / "vm-qemu.log",
                         on_start=lambda _pid: on_start(os.getpid()))
    finally:
        collect_volumes(paths.base)


def start_runner(store: Store, images: ImageService, record: ContainerRecord,
                 paths: ContainerPaths, stdio: tuple[int, int, int]) -> tuple[int, int | None]:
    """Under a monitor: the runner process (vm.micro.runner) is the
    container's process; returns its pid and, with -t, the master of the
    pty it relays the guest's console to (the monitor keeps it, as it keeps
    a container's)."""
    del images  # the bundle already holds what the guest needs
    spec, command = plan(store, record, paths)
    master = None
    if command.terminal:
        master, slave = os.openpty()
        os.set_inheritable(master, False)
        stdio = (slave, slave, slave)
    plan_file = paths.base / "vm-run.json"
    plan_file.write_text(json.dumps({"spec": spec.to_json(), "command": command_to_json(command),
                                     "log": str(paths.base / "vm-qemu.log")}))
    try:
        proc = subprocess.Popen([sys.executable, "-m", "hullbox.vm.micro.runner",
                                 str(plan_file)], stdin=stdio[0], stdout=stdio[1],
                                stderr=stdio[2], close_fds=True)
    except BaseException:
        if master is not None:
            os.close(master)
        raise
    finally:
        if master is not None:
            os.close(stdio[0])
    return proc.pid, master

