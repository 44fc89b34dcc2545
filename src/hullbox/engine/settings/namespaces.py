"""Namespaces and identity: --ipc, --pid, --uts, --cgroupns, --group-add,
--domainname, --annotation, --init, --shm-size, --link, --ip6 and
--link-local-ip, validated as Docker does (values alone; what needs the
store, such as a container to join, is checked in engine/namespace_spec.py)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from hullbox.errors import InvalidArgument

IPC_MODES = ("none", "private", "shareable", "host")
#: Docker's /dev/shm size when --shm-size is not given
DEFAULT_SHM_SIZE = 64 * 1024 * 1024
_DOMAIN = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$")
_LINK_NAME = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


def joined_container(mode: str) -> str:
    """The NAME of ``container:NAME``, else ''."""
    return mode.partition(":")[2] if mode.startswith("container:") else ""


def _check_mode(flag: str, value: str, allowed: tuple[str, ...], joinable: bool) -> None:
    if value in allowed or value == "":
        return
    if joinable and value.startswith("container:"):
        if not joined_container(value):
            raise InvalidArgument(f"invalid {flag} {value!r}: name the container, "
                                  f"e.g. {flag} container:web")
        return
    choices = ", ".join(allowed) + (" or container:NAME" if joinable else "")
    raise InvalidArgument(f"invalid {flag} {value!r}: use {choices}")


def _parse_annotations(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidArgument(f"invalid --annotation {item!r}: use KEY=VALUE")
        found[key] = value
    return found


def _parse_link(value: str) -> str:
    """``name[:alias]`` as ``name:alias`` (the alias defaults to the name)."""
    name, _, alias = value.partition(":")
    name = name.lstrip("/")
    alias = alias or name
    if not _LINK_NAME.match(name) or not _LINK_NAME.match(alias):
        raise InvalidArgument(f"invalid --link {value!r}: use NAME[:ALIAS], e.g. --link db:db")
    return f"{name}:{alias}"


def _check_ip6(value: str) -> None:
    from hullbox.network.addr6 import ip6_to_int

    if ":" not in value:
        raise InvalidArgument(f"invalid --ip6 {value!r}: use an IPv6 address, e.g. fd00:1::10")
    ip6_to_int(value)


def _check_link_local(value: str) -> None:
    import ipaddress

    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise InvalidArgument(f"invalid --link-local-ip {value!r}: use an IP address, "
                              "e.g. 169.254.10.10 or fe80::10") from None
    if not address.is_link_local:
        raise InvalidArgument(f"invalid --link-local-ip {value!r}: not a link-local address "
                              "(169.254.0.0/16 or fe80::/10)")


@dataclass
class NamespaceSettings:
    """Stored with the container (inside ContainerOptions) so ``start`` repeats it.
    '' for a mode is Docker's default (a namespace of the container's own)."""

    ipc: str = ""            # none|private|shareable|host|container:NAME
    pid: str = ""            # host|container:NAME
    uts: str = ""            # host
    cgroupns: str = ""       # host|private
    group_add: list[str] = field(default_factory=list)   # names or numbers, as typed
    domainname: str = ""
    annotations: dict[str, str] = field(default_factory=dict)
    init: bool = False
    shm_size: int = 0        # bytes; 0 is Docker's 64 MiB
    links: list[str] = field(default_factory=list)       # name:alias
    ip6: str = ""            # on the first network
    link_local_ips: list[str] = field(default_factory=list)
    #: compose's networks.X.ipv6_address and link_local_ips, by network name
    network_ip6: dict[str, str] = field(default_factory=dict)
    network_link_local: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, *, ipc: str | None = None, pid: str | None = None, uts: str | None = None,
              cgroupns: str | None = None, group_add: list[str] | tuple[str, ...] = (),
              domainname: str | None = None,
              annotations: list[str] | tuple[str, ...] = (), init: bool = False,
              shm_size: str | int | None = None, links: list[str] | tuple[str, ...] = (),
              ip6: str | None = None, link_local_ips: list[str] | tuple[str, ...] = (),
              hostname: str | None = None) -> NamespaceSettings:
        """The settings from flags as typed; InvalidArgument names the bad one."""
        from hullbox.engine.units import parse_bytes

        settings = cls(ipc or "", pid or "", uts or "", cgroupns or "",
                       [str(g) for g in group_add], domainname or "",
                       _parse_annotations(annotations), bool(init), 0,
                       [_parse_link(link) for link in links], ip6 or "",
                       list(link_local_ips))
        _check_mode("--ipc", settings.ipc, IPC_MODES, joinable=True)
        _check_mode("--pid", settings.pid, ("host",), joinable=True)
        _check_mode("--uts", settings.uts, ("host",), joinable=False)
        _check_mode("--cgroupns", settings.cgroupns, ("host", "private"), joinable=False)
        for group in settings.group_add:
            if not group or ":" in group or any(c.isspace() for c in group):
                raise InvalidArgument(f"invalid --group-add {group!r}: use a group name "
                                      "or number")
        if settings.domainname and (len(settings.domainname) > 64
                                    or not _DOMAIN.match(settings.domainname)):
            raise InvalidArgument(f"invalid --domainname {settings.domainname!r}: use letters, "
                                  "digits, '-' and '.', at most 64 characters")
        if settings.uts == "host" and (hostname or settings.domainname):
            raise InvalidArgument("conflicting options: --uts host shares the host's name; "
                                  "drop -h/--hostname and --domainname")
        if shm_size not in (None, "", 0):
            assert shm_size is not None
            settings.shm_size = parse_bytes(shm_size, "--shm-size")  # 0: the default
            if settings.shm_size and (settings.ipc in ("host", "none")
                                      or joined_container(settings.ipc)):
                raise InvalidArgument(f"--shm-size sizes the container's own /dev/shm; with "
                                      f"--ipc {settings.ipc} it has none: drop one of them")
        if settings.ip6:
            _check_ip6(settings.ip6)
        for address in settings.link_local_ips:
            _check_link_local(address)
        return settings

    def check_network(self, mode: str) -> None:
        """--link, --ip6 and --link-local-ip need a bridged network of the container's own."""
        own = mode not in ("none", "host") and not mode.startswith(("container:", "slirp"))
        for flag, given in (("--link", self.links), ("--ip6", self.ip6),
                            ("--link-local-ip", self.link_local_ips)):
            if given and not own:
                raise InvalidArgument(f"conflicting options: {flag} needs a bridge network; "
                                      f"--network {mode} has none of its own")
        if self.ip6 and mode in ("default", "bridge"):
            raise InvalidArgument("--ip6 works only on user-defined IPv6 networks "
                                  "(hullbox network create --ipv6 --subnet ...)")

    def endpoint_addresses(self, index: int, network: str) -> dict[str, Any]:
        """endpoint.attach's fixed IPv6 and link-local addresses on a network:
        --ip6 and --link-local-ip go to the first one."""
        first = index == 0
        return {"address6": self.network_ip6.get(network) or (self.ip6 if first else ""),
                "link_local": tuple(self.network_link_local.get(network)
                                    or (self.link_local_ips if first else ()))}

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> NamespaceSettings:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)


def inspect_fields(settings: NamespaceSettings, name: str) -> tuple[dict[str, Any],
                                                                  dict[str, Any]]:
    """(HostConfig fields, Config fields) of ``docker inspect``, in Docker's names
    and with its defaults (private IPC and cgroup namespace, 64 MiB /dev/shm)."""
    host: dict[str, Any] = {
        "IpcMode": settings.ipc or "private",
        "PidMode": settings.pid,
        "UTSMode": settings.uts,
        "CgroupnsMode": settings.cgroupns or "private",
        "GroupAdd": list(settings.group_add) or None,
        "Init": True if settings.init else None,
        "ShmSize": settings.shm_size or DEFAULT_SHM_SIZE,
        # Docker's form: /target:/linker/alias
        "Links": [f"/{link.partition(':')[0]}:/{name}/{link.partition(':')[2]}"
                  for link in settings.links] or None,
    }
    if settings.annotations:  # omitted when empty, as Docker does
        host["Annotations"] = dict(settings.annotations)
    return host, {"Domainname": settings.domainname}
