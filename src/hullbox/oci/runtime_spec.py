"""OCI runtime-spec ``config.json``: Docker's defaults, and a typed view of a bundle's config.

Pure data: no I/O. camelCase field names stay in this module; the runtime sees
the snake_case classes that :func:`parse_spec` returns.
"""

from __future__ import annotations

# typing is imported for the type checker only: this module is on every run's import path
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

OCI_VERSION = "1.0.2"
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#: Docker's default capability set (moby oci/caps/defaults.go)
DOCKER_CAPABILITIES = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
)

DOCKER_MASKED_PATHS = (
    "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
    "/sys/firmware", "/sys/devices/virtual/powercap",
)
DOCKER_READONLY_PATHS = (
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
)

# (type, major, minor, access): runc's allow list, which Docker uses as its default.
_ALLOWED_DEVICES: tuple[tuple[str, int | None, int | None, str], ...] = (
    ("c", None, None, "m"), ("b", None, None, "m"),
    ("c", 1, 3, "rwm"), ("c", 1, 8, "rwm"), ("c", 1, 7, "rwm"), ("c", 5, 0, "rwm"),
    ("c", 1, 5, "rwm"), ("c", 1, 9, "rwm"), ("c", 5, 1, "rwm"), ("c", 136, None, "rwm"),
    ("c", 5, 2, "rwm"), ("c", 10, 200, "rwm"),
)


def _device_rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = [{"allow": False, "access": "rwm"}]
    for kind, major, minor, access in _ALLOWED_DEVICES:
        rule: dict[str, Any] = {"allow": True, "type": kind, "access": access}
        if major is not None:
            rule["major"] = major
        if minor is not None:
            rule["minor"] = minor
        rules.append(rule)
    return rules


def default_spec(args: list[str], *, terminal: bool = False, hostname: str = "",
                 root_path: str = "rootfs", readonly: bool = False,
                 cgroupns: bool = True) -> dict[str, Any]:
    """A config.json dict for ``args`` with the defaults ``docker run`` gives a container.

    ``cgroupns`` adds a cgroup namespace (Docker's default on cgroup v2; every
    kernel since 4.6 has them).
    """
    caps = list(DOCKER_CAPABILITIES)
    namespaces = [{"type": t} for t in ("pid", "ipc", "uts", "mount", "network")]
    if cgroupns:
        namespaces.append({"type": "cgroup"})
    nosuid_noexec_nodev = ["nosuid", "noexec", "nodev"]
    spec: dict[str, Any] = {
        "ociVersion": OCI_VERSION,
        "process": {
            "terminal": terminal,
            "user": {"uid": 0, "gid": 0},
            "args": list(args),
            "env": [DEFAULT_PATH] + (["TERM=xterm"] if terminal else []),
            "cwd": "/",
            "capabilities": {"bounding": caps, "effective": list(caps),
                             "permitted": list(caps)},
            "noNewPrivileges": False,
        },
        "root": {"path": root_path, "readonly": readonly},
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc",
             "options": nosuid_noexec_nodev},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620",
                         "gid=5"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": [*nosuid_noexec_nodev, "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": nosuid_noexec_nodev},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": [*nosuid_noexec_nodev, "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
             "options": ["ro", *nosuid_noexec_nodev]},
        ],
        "linux": {
            "namespaces": namespaces,
            "maskedPaths": list(DOCKER_MASKED_PATHS),
            "readonlyPaths": list(DOCKER_READONLY_PATHS),
            "devices": [],
            "resources": {"devices": _device_rules()},
        },
    }
    if hostname:
        spec["hostname"] = hostname
    return spec


class _Record:
    """Base of the parsed-config classes: plain slotted classes with value equality.

    Not dataclasses: creating the eleven dataclasses cost ~10 ms at import, paid
    by every ``hullbox run``. Instances are treated as immutable.
    """

    __slots__: tuple[str, ...] = ()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, n) for n in self.__slots__))

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({fields})"


class User(_Record):
    """process.user"""

    __slots__ = ("additional_gids", "gid", "uid", "umask")

    def __init__(self, uid: int = 0, gid: int = 0, additional_gids: tuple[int, ...] = (),
                 umask: int | None = None) -> None:
        self.uid = uid
        self.gid = gid
        self.additional_gids = additional_gids
        self.umask = umask


class Capabilities(_Record):
    """process.capabilities: names as given (``CAP_CHOWN``)."""

    __slots__ = ("ambient", "bounding", "effective", "inheritable", "permitted")

    def __init__(self, bounding: tuple[str, ...] = (), effective: tuple[str, ...] = (),
                 inheritable: tuple[str, ...] = (), permitted: tuple[str, ...] = (),
                 ambient: tuple[str, ...] = ()) -> None:
        self.bounding = bounding
        self.effective = effective
        self.inheritable = inheritable
        self.permitted = permitted
        self.ambient = ambient


class Rlimit(_Record):
    """One process.rlimits entry (``RLIMIT_NOFILE``)."""

    __slots__ = ("hard", "soft", "type")

    def __init__(self, type: str, soft: int, hard: int) -> None:
        self.type = type
        self.soft = soft
        self.hard = hard


class Process(_Record):
    """process"""

    __slots__ = (
        "args",
        "capabilities",
        "cwd",
        "env",
        "no_new_privileges",
        "oom_score_adj",
        "rlimits",
        "terminal",
        "user",
    )

    def __init__(self, args: tuple[str, ...], env: tuple[str, ...] = (), cwd: str = "/",
                 user: User | None = None, terminal: bool = False,
                 capabilities: Capabilities | None = None, rlimits: tuple[Rlimit, ...] = (),
                 no_new_privileges: bool = False, oom_score_adj: int | None = None) -> None:
        self.args = args
        self.env = env
        self.cwd = cwd
        self.user = User() if user is None else user
        self.terminal = terminal
        self.capabilities = capabilities
        self.rlimits = rlimits
        self.no_new_privileges = no_new_privileges
        self.oom_score_adj = oom_score_adj


class Mount(_Record):
    """One mounts entry."""

    __slots__ = ("destination", "options", "source", "type")

    def __init__(self, destination: str, type: str = "", source: str = "",
                 options: tuple[str, ...] = ()) -> None:
        self.destination = destination
        self.type = type
        self.source = source
        self.options = options


class Namespace(_Record):
    """One linux.namespaces entry; ``path`` set means join instead of create."""

    __slots__ = ("path", "type")

    def __init__(self, type: str, path: str = "") -> None:
        self.type = type
        self.path = path


class Device(_Record):
    """One linux.devices entry: a node the runtime creates in /dev."""

    __slots__ = ("file_mode", "gid", "major", "minor", "path", "type", "uid")

    def __init__(self, path: str, type: str, major: int, minor: int,
                 file_mode: int = 0o666, uid: int = 0, gid: int = 0) -> None:
        self.path = path
        self.type = type
        self.major = major
        self.minor = minor
        self.file_mode = file_mode
        self.uid = uid
        self.gid = gid


class DeviceRule(_Record):
    """One linux.resources.devices entry (cgroup device access)."""

    __slots__ = ("access", "allow", "major", "minor", "type")

    def __init__(self, allow: bool, type: str = "a", major: int | None = None,
                 minor: int | None = None, access: str = "rwm") -> None:
        self.allow = allow
        self.type = type
        self.major = major
        self.minor = minor
        self.access = access


class Resources(_Record):
    """The subset of linux.resources hullbox applies."""

    __slots__ = (
        "cpu_period",
        "cpu_quota",
        "cpu_shares",
        "devices",
        "memory_limit",
        "memory_swap",
        "pids_limit",
        "raw",
    )

    def __init__(self, memory_limit: int | None = None, memory_swap: int | None = None,
                 cpu_shares: int | None = None, cpu_quota: int | None = None,
                 cpu_period: int | None = None, pids_limit: int | None = None,
                 devices: tuple[DeviceRule, ...] = (),
                 raw: dict[str, Any] | None = None) -> None:
        self.memory_limit = memory_limit
        self.memory_swap = memory_swap
        self.cpu_shares = cpu_shares
        self.cpu_quota = cpu_quota
        self.cpu_period = cpu_period
        self.pids_limit = pids_limit
        self.devices = devices
        # linux.resources as in config.json: runtime/cgroup_tuning.py reads the rest
        self.raw = {} if raw is None else raw


class Spec(_Record):
    """A parsed config.json."""

    __slots__ = (
        "annotations",
        "cgroups_path",
        "devices",
        "domainname",
        "gid_mappings",
        "hostname",
        "masked_paths",
        "mounts",
        "namespaces",
        "process",
        "readonly_paths",
        "resources",
        "root_path",
        "root_readonly",
        "rootfs_propagation",
        "seccomp",
        "sysctl",
        "uid_mappings",
    )

    def __init__(self, process: Process, root_path: str = "rootfs",
                 root_readonly: bool = False, hostname: str = "",
                 mounts: tuple[Mount, ...] = (), namespaces: tuple[Namespace, ...] = (),
                 masked_paths: tuple[str, ...] = (), readonly_paths: tuple[str, ...] = (),
                 devices: tuple[Device, ...] = (), cgroups_path: str = "",
                 resources: Resources | None = None, sysctl: dict[str, str] | None = None,
                 rootfs_propagation: str = "",
                 annotations: dict[str, str] | None = None,
                 seccomp: dict[str, Any] | None = None,
                 uid_mappings: tuple[tuple[int, int, int], ...] = (),
                 gid_mappings: tuple[tuple[int, int, int], ...] = (),
                 domainname: str = "") -> None:
        self.process = process
        self.root_path = root_path
        self.root_readonly = root_readonly
        self.hostname = hostname
        self.mounts = mounts
        self.namespaces = namespaces
        self.masked_paths = masked_paths
        self.readonly_paths = readonly_paths
        self.devices = devices
        self.cgroups_path = cgroups_path
        self.resources = Resources() if resources is None else resources
        self.sysctl = {} if sysctl is None else sysctl
        self.rootfs_propagation = rootfs_propagation
        self.annotations = {} if annotations is None else annotations
        self.seccomp = seccomp  # linux.seccomp as in config.json (runtime/seccomp.py reads it)
        # linux.uidMappings/gidMappings as (containerID, hostID, size)
        self.uid_mappings = uid_mappings
        self.gid_mappings = gid_mappings
        self.domainname = domainname

    def namespace(self, kind: str) -> Namespace | None:
        """The namespace entry of type ``kind``, or None when the host's is shared."""
        return next((ns for ns in self.namespaces if ns.type == kind), None)


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in (value or ()))


def parse_spec(doc: dict[str, Any]) -> Spec:
    """Turn a config.json dict into a :class:`Spec`; KeyError/TypeError/ValueError if malformed."""
    proc = doc["process"]
    user = proc.get("user") or {}
    caps = proc.get("capabilities")
    linux = doc.get("linux") or {}
    res = linux.get("resources") or {}
    mem = res.get("memory") or {}
    cpu = res.get("cpu") or {}
    return Spec(
        process=Process(
            args=_strs(proc.get("args")),
            env=_strs(proc.get("env")),
            cwd=proc.get("cwd") or "/",
            user=User(int(user.get("uid", 0)), int(user.get("gid", 0)),
                      tuple(int(g) for g in user.get("additionalGids") or ()),
                      user.get("umask")),
            terminal=bool(proc.get("terminal", False)),
            capabilities=None if caps is None else Capabilities(
                *(_strs(caps.get(k)) for k in
                  ("bounding", "effective", "inheritable", "permitted", "ambient"))),
            rlimits=tuple(Rlimit(r["type"], int(r["soft"]), int(r["hard"]))
                          for r in proc.get("rlimits") or ()),
            no_new_privileges=bool(proc.get("noNewPrivileges", False)),
            oom_score_adj=proc.get("oomScoreAdj"),
        ),
        root_path=(doc.get("root") or {}).get("path", "rootfs"),
        root_readonly=bool((doc.get("root") or {}).get("readonly", False)),
        hostname=doc.get("hostname", ""),
        mounts=tuple(Mount(m["destination"], m.get("type", ""), m.get("source", ""),
                           _strs(m.get("options"))) for m in doc.get("mounts") or ()),
        namespaces=tuple(Namespace(n["type"], n.get("path", ""))
                         for n in linux.get("namespaces") or ()),
        masked_paths=_strs(linux.get("maskedPaths")),
        readonly_paths=_strs(linux.get("readonlyPaths")),
        devices=tuple(Device(d["path"], d["type"], int(d.get("major", 0)),
                             int(d.get("minor", 0)), int(d.get("fileMode", 0o666)),
                             int(d.get("uid", 0)), int(d.get("gid", 0)))
                      for d in linux.get("devices") or ()),
        cgroups_path=linux.get("cgroupsPath", ""),
        resources=Resources(
            memory_limit=mem.get("limit"), memory_swap=mem.get("swap"),
            cpu_shares=cpu.get("shares"), cpu_quota=cpu.get("quota"),
            cpu_period=cpu.get("period"),
            pids_limit=(res.get("pids") or {}).get("limit"),
            devices=tuple(DeviceRule(bool(d["allow"]), d.get("type", "a"), d.get("major"),
                                     d.get("minor"), d.get("access", "rwm"))
                          for d in res.get("devices") or ()),
            raw=res,
        ),
        sysctl=dict(linux.get("sysctl") or {}),
        rootfs_propagation=linux.get("rootfsPropagation", ""),
        annotations=dict(doc.get("annotations") or {}),
        seccomp=linux.get("seccomp"),
        uid_mappings=_id_mappings(linux.get("uidMappings")),
        gid_mappings=_id_mappings(linux.get("gidMappings")),
        domainname=doc.get("domainname", ""),
    )


def _id_mappings(value: Any) -> tuple[tuple[int, int, int], ...]:
    return tuple((int(m["containerID"]), int(m["hostID"]), int(m["size"]))
                 for m in value or ())
