"""What --ipc, --pid, --uts, --cgroupns, --group-add, --domainname,
--annotation, --init and --shm-size do to config.json, and the checks that
need the store: a container to join must exist and run, a group name must
be in the image's /etc/group, an init must be on the host."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hullbox.engine.namespace_ipc import (
    apply_ipc,
    check_ipc_donor,
    join,
    running_target,
    share_host,
)
from hullbox.engine.options import ContainerOptions
from hullbox.engine.settings.namespaces import joined_container
from hullbox.errors import InvalidArgument, Unsupported
from hullbox.store.store import Store

if TYPE_CHECKING:
    from hullbox.engine.images import Image
    from hullbox.store.containers import ContainerRecord

INIT_PATH = "/sbin/docker-init"
#: static inits that take ``-- command...``, in the order Docker and Podman ship them
INIT_CANDIDATES = ("/usr/bin/docker-init", "/usr/libexec/docker/docker-init",
                   "/usr/libexec/podman/catatonit", "/usr/bin/catatonit")


def init_binary() -> str:
    """The host's static init; Unsupported naming the package when there is none."""
    for path in INIT_CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    raise Unsupported("--init needs a static init on this host (docker-init or "
                      "catatonit); install one: apt-get install catatonit")


def validate_create(store: Store, options: ContainerOptions, image: Image) -> None:
    """What ``create`` checks before anything is made (one line, exit 125)."""
    settings = options.namespaces
    if joined_container(settings.ipc):
        check_ipc_donor(store, joined_container(settings.ipc))
    if joined_container(settings.pid):
        running_target(store, f"--pid {settings.pid}", joined_container(settings.pid))
    for link in settings.links:
        name = link.partition(":")[0]
        running_target(store, f"--link {link}", name)
    wanted6 = {**({options.network: settings.ip6} if settings.ip6 else {}),
               **settings.network_ip6}
    for network_name, address in wanted6.items():
        from hullbox.network import ipam
        from hullbox.network.addr6 import check_requested6

        network = ipam.get_network(store, network_name)
        check_requested6(network.name, network.subnet6, network.gateway6, set(), address)
    if settings.group_add:
        group_ids(settings.group_add, _image_group_file(store, image))
    if settings.init:
        init_binary()


def _image_group_file(store: Store, image: Image) -> list[list[str]]:
    """The image's /etc/group, read from its layers (top first) without a mount."""
    for chain_id in reversed(image.layer_chain_ids()):
        path = store.layer_dir(chain_id) / "etc" / "group"
        if path.is_file():
            return _read_group(path)
        if path.exists() or path.is_symlink():
            break  # a whiteout or odd entry: no usable file
    return []


def _read_group(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def group_ids(groups: list[str], group_file: list[list[str]]) -> list[int]:
    """--group-add values as numbers: a name from the image's /etc/group, or a number."""
    found: list[int] = []
    for group in groups:
        match = next((g for g in group_file if len(g) >= 3 and g[0] == group), None)
        if match is not None:
            found.append(int(match[2]))
        elif group.isdigit():
            found.append(int(group))
        else:
            raise InvalidArgument(f"--group-add {group}: unable to find group {group}: no "
                                  "matching entries in the image's /etc/group")
    return found


def _add_env(spec: dict[str, Any], extra: list[str]) -> None:
    """Variables the container's own environment does not set already."""
    env = spec["process"]["env"]
    names = {item.partition("=")[0] for item in env}
    env.extend(item for item in extra if item.partition("=")[0] not in names)


def apply_to_spec(spec: dict[str, Any], store: Store, options: ContainerOptions,
                  record: ContainerRecord, rootfs: Path) -> None:
    """Point config.json's namespaces, groups, names and init where the flags say."""
    settings = options.namespaces
    apply_ipc(spec, store, options, store.container_dir(record.id))
    if settings.pid == "host":
        share_host(spec, "pid")
    elif joined_container(settings.pid):
        join(spec, "pid", running_target(store, f"--pid {settings.pid}",
                                          joined_container(settings.pid)).pid)
    if settings.uts == "host":
        share_host(spec, "uts")
        spec.pop("hostname", None)
    if settings.cgroupns == "host":
        share_host(spec, "cgroup")
    if settings.domainname:
        spec["domainname"] = settings.domainname
    if settings.group_add:
        user = spec["process"]["user"]
        extra = list(user.get("additionalGids") or [])
        for gid in group_ids(settings.group_add, _read_group(rootfs / "etc" / "group")):
            if gid not in extra:
                extra.append(gid)
        user["additionalGids"] = extra
    if settings.links:
        from hullbox.engine.namespace_links import link_env

        _add_env(spec, link_env(store, options, record.name))
    if settings.annotations:
        spec.setdefault("annotations", {}).update(settings.annotations)
    if settings.init:
        spec["mounts"].append({"destination": INIT_PATH, "type": "bind",
                               "source": init_binary(),
                               "options": ["rbind", "ro", "nosuid", "nodev"]})
        spec["process"]["args"] = [INIT_PATH, "--", *spec["process"]["args"]]
