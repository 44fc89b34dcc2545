"""Capabilities, seccomp, devices, sysctls, ulimits, user namespaces (issue 4).

What ``docker run`` accepts, checked when the container is created (so a bad
value fails ``create`` with one line, not a later ``start``), and stored in a
form that ``start`` can turn into config.json again (engine/security.py).
"""

from __future__ import annotations

import json
import os
import resource
import stat
from dataclasses import asdict, dataclass, field
from typing import Any

from hullbox.errors import InvalidArgument
from hullbox.linux.caps import CAPABILITIES

#: docker's --ulimit names -> resource.RLIMIT_*
ULIMITS = {
    "as": "RLIMIT_AS", "core": "RLIMIT_CORE", "cpu": "RLIMIT_CPU", "data": "RLIMIT_DATA",
    "fsize": "RLIMIT_FSIZE", "locks": "RLIMIT_LOCKS", "memlock": "RLIMIT_MEMLOCK",
    "msgqueue": "RLIMIT_MSGQUEUE", "nice": "RLIMIT_NICE", "nofile": "RLIMIT_NOFILE",
    "nproc": "RLIMIT_NPROC", "rss": "RLIMIT_RSS", "rtprio": "RLIMIT_RTPRIO",
    "rttime": "RLIMIT_RTTIME", "sigpending": "RLIMIT_SIGPENDING", "stack": "RLIMIT_STACK",
}
#: sysctls that live in a namespace the container has its own of
_IPC_SYSCTLS = ("kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced")
CAP_SYS_RESOURCE = 24


@dataclass
class SecuritySettings:
    """Stored with the container (inside ContainerOptions) so `start` repeats it."""

    cap_add: list[str] = field(default_factory=list)  # CAP_NAME, or ALL
    cap_drop: list[str] = field(default_factory=list)
    privileged: bool = False
    seccomp: str = ""  # "" = the default profile, "unconfined", or a profile's JSON text
    no_new_privileges: bool = False
    systempaths_unconfined: bool = False  # no masked or read-only /proc and /sys paths
    devices: list[dict[str, str]] = field(default_factory=list)  # host, container, permissions
    sysctls: dict[str, str] = field(default_factory=dict)
    ulimits: list[dict[str, Any]] = field(default_factory=list)  # name, soft, hard (-1: inf)
    security_opt: list[str] = field(default_factory=list)  # as typed, for inspect
    userns: str = ""  # "" or host: the host's; auto[:size=N]: a range of its own
    uidmap: list[list[int]] = field(default_factory=list)  # [inside, host, size] lines
    gidmap: list[list[int]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> SecuritySettings:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @classmethod
    def parse(cls, *, cap_add: tuple[str, ...] = (), cap_drop: tuple[str, ...] = (),
              privileged: bool = False, security_opt: tuple[str, ...] = (),
              devices: tuple[str, ...] = (), sysctls: tuple[str, ...] = (),
              ulimits: tuple[str, ...] = (), userns: str = "",
              uidmap: tuple[str, ...] = (), gidmap: tuple[str, ...] = (),
              host_network: bool = False) -> SecuritySettings:
        """Settings from the flags as typed; InvalidArgument names the bad one."""
        settings = cls(cap_add=[capability_name(c, "--cap-add") for c in cap_add],
                       cap_drop=[capability_name(c, "--cap-drop") for c in cap_drop],
                       privileged=privileged, security_opt=list(security_opt))
        for opt in security_opt:
            settings._security_opt(opt)
        settings.devices = [parse_device(d) for d in devices]
        for item in sysctls:
            key, value = parse_sysctl(item, host_network)
            settings.sysctls[key] = value
        settings.ulimits = [parse_ulimit(u) for u in ulimits]
        from hullbox.engine.userns_options import parse_userns

        settings.userns, settings.uidmap, settings.gidmap = parse_userns(
            userns, uidmap, gidmap, privileged=privileged)
        return settings

    def _security_opt(self, opt: str) -> None:
        key, sep, value = opt.partition("=")
        if not sep:
            key, sep, value = opt.partition(":")  # docker's older spelling
        if key == "no-new-privileges":
            if value not in ("", "true", "false"):
                raise InvalidArgument(f"invalid --security-opt {opt!r}: "
                                      "use no-new-privileges or no-new-privileges=true|false")
            self.no_new_privileges = value != "false"
        elif key == "seccomp" and value:
            self.seccomp = "unconfined" if value == "unconfined" else read_profile(value)
        elif key == "systempaths" and value == "unconfined":
            self.systempaths_unconfined = True
        elif (key, value) in (("label", "disable"), ("apparmor", "unconfined")):
            pass  # no LSM confines hullbox's containers: already what is asked
        elif key in ("label", "apparmor"):
            raise InvalidArgument(f"--security-opt {opt}: hullbox does not use "
                                  f"{'SELinux' if key == 'label' else 'AppArmor'}; "
                                  f"only {key}={'disable' if key == 'label' else 'unconfined'} "
                                  "is accepted")
        else:
            raise InvalidArgument(
                f"invalid --security-opt {opt!r}: use seccomp=unconfined|PROFILE.json, "
                "no-new-privileges[=true], or systempaths=unconfined")


def capability_name(name: str, flag: str) -> str:
    """``net_admin`` / ``CAP_NET_ADMIN`` -> ``CAP_NET_ADMIN``; ``all`` -> ``ALL``."""
    upper = name.strip().upper()
    if upper == "ALL":
        return "ALL"
    bare = upper.removeprefix("CAP_")
    if bare not in CAPABILITIES:
        raise InvalidArgument(f"{flag} {name}: unknown capability; use a name from "
                              "capabilities(7) such as NET_ADMIN, or ALL")
    return "CAP_" + bare


def read_profile(path: str) -> str:
    """A seccomp profile file's text, checked to be a Docker/OCI profile."""
    from hullbox.engine.seccomp_profile import validate_profile

    try:
        with open(path) as f:
            text = f.read()
    except OSError as exc:
        raise InvalidArgument(f"--security-opt seccomp={path}: cannot read the profile: "
                              f"{exc.strerror}") from exc
    try:
        profile = json.loads(text)
    except ValueError as exc:
        raise InvalidArgument(f"--security-opt seccomp={path}: not valid JSON: {exc}") from exc
    validate_profile(profile, f"--security-opt seccomp={path}")
    return text


def parse_device(text: str) -> dict[str, str]:
    """``/dev/fuse[:/dev/fuse][:rwm]`` -> host, container, permissions."""
    parts = text.split(":")
    if not 1 <= len(parts) <= 3 or not parts[0]:
        raise InvalidArgument(f"invalid --device {text!r}: use HOST[:CONTAINER][:rwm]")
    host, container, perms = parts[0], parts[0], "rwm"
    if len(parts) == 3:
        container, perms = parts[1], parts[2]
    elif len(parts) == 2:
        if parts[1] and set(parts[1]) <= set("rwm"):
            perms = parts[1]
        else:
            container = parts[1]
    if not container.startswith("/") or not perms or not set(perms) <= set("rwm"):
        raise InvalidArgument(f"invalid --device {text!r}: the container path must be "
                              "absolute and the permissions a mix of r, w and m")
    try:
        mode = os.stat(host).st_mode
    except OSError as exc:
        raise InvalidArgument(f"--device {text}: {host}: {exc.strerror} on this host") from exc
    if not (stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISDIR(mode)):
        raise InvalidArgument(f"--device {text}: {host} is not a device node or a directory")
    return {"host": host, "container": container, "permissions": perms}


def parse_sysctl(text: str, host_network: bool) -> tuple[str, str]:
    """``net.ipv4.ip_forward=1`` -> key, value; only sysctls the container has its own of."""
    key, sep, value = text.partition("=")
    key = key.strip().replace("/", ".")
    if not sep or not key:
        raise InvalidArgument(f"invalid --sysctl {text!r}: use NAME=VALUE")
    if key.startswith("net."):
        if host_network:
            raise InvalidArgument(f"--sysctl {key}: not allowed with --network host, where "
                                  "it would change the host's network stack")
    elif not (key in _IPC_SYSCTLS or key.startswith("fs.mqueue.")):
        raise InvalidArgument(f"--sysctl {key}: not namespaced, it would change the host; "
                              "only net.*, kernel.msg*, kernel.sem, kernel.shm* and "
                              "fs.mqueue.* can be set per container")
    return key, value


def _has_cap_sys_resource() -> bool:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> CAP_SYS_RESOURCE & 1)
    return False


def parse_ulimit(text: str) -> dict[str, Any]:
    """``nofile=1024:2048`` -> name, soft, hard (-1 = unlimited)."""
    name, sep, values = text.partition("=")
    if not sep or name not in ULIMITS:
        raise InvalidArgument(f"invalid --ulimit {text!r}: use NAME=SOFT[:HARD] with NAME one "
                              f"of {', '.join(sorted(ULIMITS))}")
    soft_text, _, hard_text = values.partition(":")
    try:
        soft = int(soft_text)
        hard = int(hard_text) if hard_text else soft
    except ValueError:
        raise InvalidArgument(f"invalid --ulimit {text!r}: limits are whole numbers "
                              "(-1 for unlimited)") from None
    unlimited = resource.RLIM_INFINITY
    if (hard != -1 and soft == -1) or (hard != -1 and soft > hard):
        raise InvalidArgument(f"invalid --ulimit {text!r}: the soft limit {soft} is above "
                              f"the hard limit {hard}")
    current = resource.getrlimit(getattr(resource, ULIMITS[name]))[1]
    if (current != unlimited and (hard == -1 or hard > current)
            and not _has_cap_sys_resource()):
        raise InvalidArgument(f"--ulimit {text}: the hard limit can be at most {current} here "
                              "(raising it needs CAP_SYS_RESOURCE, which hullbox lacks)")
    return {"name": name, "soft": soft, "hard": hard}
