"""How a container is isolated: ``--isolation process`` (namespaces and
cgroups, the default) or ``--isolation vm`` (the image's rootfs booted in a
QEMU microVM with its own kernel), and the microVM's size."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from hullbox.errors import InvalidArgument, Unsupported

#: Docker's values for Linux ("default", "process") plus "vm"
KINDS = ("default", "process", "vm")
DEFAULT_VM_MEMORY_MIB = 256
MIN_VM_MEMORY_MIB = 64


@dataclass
class IsolationSettings:
    """Stored with the container (inside ContainerOptions) so ``start`` repeats it."""

    kind: str = "process"
    vm_memory_mib: int = DEFAULT_VM_MEMORY_MIB
    vm_cpus: int = 1

    @property
    def vm(self) -> bool:
        return self.kind == "vm"

    @classmethod
    def parse(cls, *, isolation: str | None = None, memory_bytes: int = 0,
              nano_cpus: int = 0, runtime: str = "hullbox",
              unsupported: dict[str, str] | None = None) -> IsolationSettings:
        """From ``--isolation`` as typed; with ``vm`` the container's --memory
        and --cpus size the guest (a guest needs at least 64 MiB).
        A microVM refuses the flags ``unsupported`` names (flag -> why)."""
        kind = (isolation or "default").lower()
        if kind not in KINDS:
            raise InvalidArgument(f"invalid --isolation {isolation!r}: use process or vm")
        settings = cls("vm" if kind == "vm" else "process")
        if settings.vm:
            if runtime != "hullbox":
                raise InvalidArgument(f"--runtime {runtime} and --isolation vm exclude each "
                                      "other: a microVM is its own runtime")
            for flag, why in (unsupported or {}).items():
                raise InvalidArgument(f"{flag} is not supported with --isolation vm: {why}")
        if settings.vm and memory_bytes:
            settings.vm_memory_mib = memory_bytes >> 20
            if settings.vm_memory_mib < MIN_VM_MEMORY_MIB:
                raise InvalidArgument(f"--memory with --isolation vm must be at least "
                                      f"{MIN_VM_MEMORY_MIB}m: the guest kernel needs it")
        if settings.vm and nano_cpus:
            settings.vm_cpus = max(1, -(-nano_cpus // 1_000_000_000))
        return settings

    def host_config(self) -> dict[str, Any]:
        """Docker's ``HostConfig.Isolation``: "" for namespaces, as docker shows
        its default on Linux; "vm" for a microVM."""
        return {"Isolation": "vm" if self.vm else ""}

    def refuse_live_network_change(self, state: str, name: str, verb: str) -> None:
        """A running microVM's NICs are fixed when it starts (QEMU's microvm
        machine has no hotplug): ``network connect``/``disconnect`` wait."""
        if self.vm and state in ("running", "paused"):
            raise Unsupported(f"network {verb} does not work with running container {name}: "
                              "a microVM (--isolation vm) has its network devices from its "
                              "start; stop it, then connect or disconnect")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> IsolationSettings:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)



def unsupported_in_microvm(options: Any) -> dict[str, str]:
    """The flags given in ``options`` (ContainerOptions) that a microVM
    cannot honour, each with why. --privileged is taken: the command is
    root of a kernel of its own already; --read-only, --sysctl and --ulimit
    are honoured in the guest."""
    security, health = options.security, options.health
    given = {
        "--cap-add/--cap-drop": (bool(security.cap_add or security.cap_drop),
                                 "the command runs as root of its own guest kernel"),
        "--security-opt": (bool(security.security_opt),
                           "seccomp, AppArmor and SELinux profiles are the host kernel's"),
        "--device": (bool(security.devices), "the host's devices are not in the guest"),
        "--userns/--uidmap/--gidmap": (bool(security.userns not in ("", "host")
                                            or security.uidmap or security.gidmap),
                                       "the guest kernel has its own users"),
        "--pids-limit": (bool(options.pids_limit), "the guest has no cgroup to limit"),
        "--health-cmd": (bool(health.test and health.test[0] != "NONE"),
                         "a health check runs through exec, which a microVM does not have"),
        "--ipc/--pid/--uts/--cgroupns": (_shares_host_namespaces(options.namespaces),
                                         "the guest kernel has namespaces of its own"),
        "--cpu-shares/--cpuset-*/--memory-swap/--blkio-*/--oom-*/--cgroup-parent": (
            _tunes_cgroup(options.resources),
            "the guest has no cgroup to tune; --memory and --cpus size the microVM"),
    }
    return {flag: why for flag, (on, why) in given.items() if on}


def _shares_host_namespaces(namespaces: Any) -> bool:
    return bool(namespaces.ipc not in ("", "private") or namespaces.pid or namespaces.uts
                or namespaces.cgroupns)


def _tunes_cgroup(resources: Any) -> bool:
    """Whether any of --cpu-shares, --cpuset-*, --blkio-*, --oom-*, ... is set:
    every field left at its default means none is."""
    defaults = type(resources)()
    return any(getattr(resources, name) != getattr(defaults, name)
               for name in resources.__dataclass_fields__ if name != "cpu_count")


def refuse_in_microvm(config: dict[str, Any], name: str, verb: str) -> None:
    """``cp``, ``commit``, ``export`` and ``exec`` reach into a container's
    root filesystem or namespaces on the host; a microVM's writes and
    processes are inside its guest, so they would see stale files or none.
    ``config`` is the container's stored options."""
    if IsolationSettings.from_json(config.get("isolation")).vm:
        raise Unsupported(f"{verb} does not work with container {name}: it runs in a "
                          "microVM (--isolation vm), whose files and processes are in the guest")
