"""Turning an image config and container options into a runtime-spec
config.json, as Docker's daemon does before it calls runc."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hullbox.engine.options import ContainerOptions
from hullbox.engine.resource_spec import apply_resources
from hullbox.engine.rootfs import ResolvedUser
from hullbox.engine.security import apply_security
from hullbox.engine.settings.podman import apply_to_spec as apply_podman
from hullbox.oci.image import ContainerConfig
from hullbox.oci.runtime_spec import default_spec

CPU_PERIOD = 100_000


def merge_env(image_env: list[str], user_env: list[str], home: str) -> list[str]:
    """Image env, then the user's (later wins by name), HOME filled in as Docker
    does when neither sets it."""
    merged: dict[str, str] = {}
    for item in [*image_env, *user_env]:
        key, sep, value = item.partition("=")
        if not sep:
            if key not in os.environ:  # `-e NAME` passes the caller's value, if any
                continue
            value = os.environ[key]
        merged[key] = value
    merged.setdefault("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    merged.setdefault("HOME", home or "/")
    return [f"{k}={v}" for k, v in merged.items()]


def command_line(image: ContainerConfig, options: ContainerOptions, cmd: list[str]) -> list[str]:
    """Entrypoint + command with Docker's override rules: a new entrypoint drops
    the image's Cmd; a given command replaces Cmd."""
    if options.entrypoint is not None:
        entrypoint = options.entrypoint
        default_cmd: list[str] = []
    else:
        entrypoint = list(image.entrypoint or [])
        default_cmd = list(image.cmd or [])
    return [*entrypoint, *(cmd if cmd else default_cmd)]


def build_spec(
    *,
    container_id: str,
    args: list[str],
    image: ContainerConfig,
    options: ContainerOptions,
    user: ResolvedUser,
    hostname: str,
    etc_files: dict[str, Path],
) -> dict[str, Any]:
    """The config.json of one container."""
    spec = default_spec(args, terminal=options.tty, hostname=hostname,
                        root_path="rootfs", readonly=options.read_only)
    process = spec["process"]
    process["env"] = merge_env(image.env, options.env, user.home)
    process["cwd"] = options.workdir or image.working_dir or "/"
    process["user"] = {"uid": user.uid, "gid": user.gid}
    if user.additional_gids:
        process["user"]["additionalGids"] = list(user.additional_gids)
    process["terminal"] = options.tty

    linux = spec["linux"]
    if options.network == "host":
        linux["namespaces"] = [ns for ns in linux["namespaces"] if ns["type"] != "network"]
        # The host's sysfs is what a host-network container sees, read-only.
        for mount in spec["mounts"]:
            if mount["destination"] == "/sys":
                mount.update(type="bind", source="/sys",
                             options=["rbind", "nosuid", "noexec", "nodev", "ro"])
    for name, source in etc_files.items():
        spec["mounts"].append({
            "destination": f"/etc/{name}",
            "type": "bind",
            "source": str(source),
            "options": ["rbind", "rprivate"],
        })

    linux["cgroupsPath"] = f"/hullbox/{container_id}"
    resources: dict[str, Any] = linux.setdefault("resources", {})
    if options.memory:
        resources["memory"] = {"limit": options.memory}
    if options.nano_cpus:
        resources["cpu"] = {
            "quota": options.nano_cpus * CPU_PERIOD // 1_000_000_000,
            "period": CPU_PERIOD,
        }
    if options.pids_limit:
        resources["pids"] = {"limit": options.pids_limit}
    apply_resources(spec, options.resources, options.memory, container_id)
    if options.labels:
        spec["annotations"] = dict(options.labels)
    apply_security(spec, options.security)
    apply_podman(spec, options.podman)
    return spec
