"""A container's security settings -> its config.json, as Docker's daemon writes it:
capabilities, no_new_privs, seccomp, devices, sysctls, rlimits, --privileged."""

from __future__ import annotations

import json
import os
import stat
from typing import Any

from hullbox.engine.seccomp_profile import default_profile, to_spec_seccomp
from hullbox.engine.settings.security import ULIMITS, SecuritySettings
from hullbox.linux.caps import CAPABILITIES, bounding_set
from hullbox.oci.runtime_spec import DOCKER_CAPABILITIES

#: /dev entries a privileged container does not get from the host (runc's list)
_SKIPPED_DEV = {"pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev", "console",
                "ptmx"}


def all_capabilities() -> list[str]:
    """Every capability hullbox itself may hand on (its bounding set), as CAP_NAME.

    As in Docker: a host that withholds one (here, often CAP_SYS_RESOURCE) makes
    "all" mean all the others, instead of failing every --privileged run."""
    mask = bounding_set()
    return [f"CAP_{name}" for name, number in CAPABILITIES.items() if mask >> number & 1]


def container_capabilities(settings: SecuritySettings) -> list[str]:
    """Docker's rules: --privileged gets all; --cap-add ALL all but the dropped ones;
    --cap-drop ALL only the added ones; else the default set minus drops plus adds."""
    if settings.privileged:
        return all_capabilities()
    adds, drops = settings.cap_add, settings.cap_drop
    if "ALL" in adds:
        return [c for c in all_capabilities() if c not in drops]
    if "ALL" in drops:
        base: list[str] = []
    else:
        base = [c for c in DOCKER_CAPABILITIES if c not in drops]
    return base + [c for c in adds if c not in base]


def device_entries(host: str, container: str) -> list[dict[str, Any]]:
    """linux.devices entries for a host node, or every node under a host directory."""
    st = os.stat(host)
    if stat.S_ISDIR(st.st_mode):
        out = []
        for entry in sorted(os.scandir(host), key=lambda e: e.name):
            if entry.name in _SKIPPED_DEV or entry.is_symlink():
                continue
            out += device_entries(entry.path, os.path.join(container, entry.name))
        return out
    if not (stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)):
        return []
    return [{"path": container, "type": "c" if stat.S_ISCHR(st.st_mode) else "b",
             "major": os.major(st.st_rdev), "minor": os.minor(st.st_rdev),
             "fileMode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid}]


def _unconfine_system_paths(spec: dict[str, Any], writable: bool) -> None:
    linux = spec["linux"]
    linux["maskedPaths"] = []
    linux["readonlyPaths"] = []
    if writable:  # --privileged: sysfs and the cgroup tree read-write, as in Docker
        for mount in spec["mounts"]:
            if mount["destination"] in ("/sys", "/sys/fs/cgroup"):
                mount["options"] = [o for o in mount["options"] if o != "ro"]


def apply_security(spec: dict[str, Any], settings: SecuritySettings) -> None:
    """Write the settings into a config.json dict made by default_spec()."""
    process, linux = spec["process"], spec["linux"]
    caps = container_capabilities(settings)
    process["capabilities"] = {"bounding": caps, "effective": list(caps),
                               "permitted": list(caps)}
    process["noNewPrivileges"] = settings.no_new_privileges
    devices: list[dict[str, Any]] = linux.setdefault("devices", [])
    rules: list[dict[str, Any]] = linux.setdefault("resources", {}).setdefault("devices", [])
    if settings.privileged:
        _unconfine_system_paths(spec, writable=True)
        devices += device_entries("/dev", "/dev")
        rules[:] = [{"allow": True, "access": "rwm"}]
    elif settings.systempaths_unconfined:
        _unconfine_system_paths(spec, writable=False)
    for dev in settings.devices:
        for entry in device_entries(dev["host"], dev["container"]):
            devices.append(entry)
            rules.append({"allow": True, "type": entry["type"], "major": entry["major"],
                          "minor": entry["minor"], "access": dev["permissions"]})
    if settings.sysctls:
        linux["sysctl"] = dict(settings.sysctls)
    if settings.ulimits:
        process["rlimits"] = [
            {"type": ULIMITS[u["name"]], "soft": _rlim(u["soft"]), "hard": _rlim(u["hard"])}
            for u in settings.ulimits]
    if not settings.privileged and settings.seccomp != "unconfined":
        profile = json.loads(settings.seccomp) if settings.seccomp else default_profile()
        linux["seccomp"] = to_spec_seccomp(profile, caps)


def _rlim(value: int) -> int:
    return 2**64 - 1 if value < 0 else value  # RLIM_INFINITY as config.json writes it


def security_options() -> list[str]:
    """``docker info``'s SecurityOptions: what confines containers on this host."""
    options = []
    with open("/proc/self/status") as f:
        kernel_seccomp = any(line.startswith("Seccomp:") for line in f)
    try:
        from hullbox.linux.seccomp import syscall_number

        libseccomp = syscall_number("read") is not None
    except OSError:
        libseccomp = False
    if kernel_seccomp and libseccomp:
        options.append("name=seccomp,profile=builtin")
    if os.geteuid() != 0:
        options.append("name=rootless")
    return options


def host_config(settings: SecuritySettings) -> dict[str, Any]:
    """The HostConfig fields of ``docker inspect`` these settings fill."""
    return {
        "Privileged": settings.privileged,
        "CapAdd": settings.cap_add or None,
        "CapDrop": settings.cap_drop or None,
        "SecurityOpt": settings.security_opt or None,
        "Devices": [{"PathOnHost": d["host"], "PathInContainer": d["container"],
                     "CgroupPermissions": d["permissions"]} for d in settings.devices],
        "Sysctls": settings.sysctls or None,
        "Ulimits": [{"Name": u["name"], "Soft": u["soft"], "Hard": u["hard"]}
                    for u in settings.ulimits] or None,
    }
