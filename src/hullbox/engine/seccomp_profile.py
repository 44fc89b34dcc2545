"""Docker's seccomp profile format -> config.json's ``linux.seccomp``.

As Docker's daemon does it: the architectures come from ``archMap`` (the host's
entry and its sub-architectures), and a rule applies only when its
``includes`` hold (every listed capability is in the bounding set, the host
arch is listed, the kernel is at least ``minKernel``) and its ``excludes`` do
not (any listed capability, the host arch, a kernel at least ``minKernel``).
The default profile ships in engine/profiles/seccomp_default.json.
"""

from __future__ import annotations

import json
import os
from typing import Any

from hullbox.errors import InvalidArgument
from hullbox.linux.caps import CAPABILITIES

#: uname machine -> (Go arch name used in profiles, libseccomp arch)
_ARCHES = {
    "x86_64": ("amd64", "SCMP_ARCH_X86_64"), "aarch64": ("arm64", "SCMP_ARCH_AARCH64"),
    "armv7l": ("arm", "SCMP_ARCH_ARM"), "ppc64le": ("ppc64le", "SCMP_ARCH_PPC64LE"),
    "s390x": ("s390x", "SCMP_ARCH_S390X"), "riscv64": ("riscv64", "SCMP_ARCH_RISCV64"),
}
_SECCOMP_DOCS = "see https://docs.docker.com/engine/security/seccomp/"


def default_profile() -> dict[str, Any]:
    """hullbox's default profile (Docker's format)."""
    # a plain path next to this module: importlib.resources costs import time on every run
    path = os.path.join(os.path.dirname(__file__), "profiles", "seccomp_default.json")
    with open(path, "rb") as f:
        result: dict[str, Any] = json.loads(f.read())
    return result


def _kernel_at_least(version: str) -> bool:
    def numbers(text: str) -> tuple[int, ...]:
        out = []
        for part in text.split(".")[:2]:
            digits = "".join(c for c in part if c.isdigit()) or "0"
            out.append(int(digits))
        return tuple(out)

    return numbers(os.uname().release.split("-")[0]) >= numbers(version)


def _applies(rule: dict[str, Any], caps: set[str], go_arch: str) -> bool:
    inc = rule.get("includes") or {}
    exc = rule.get("excludes") or {}
    if inc.get("arches") and go_arch not in inc["arches"]:
        return False
    if any(c not in caps for c in inc.get("caps") or ()):
        return False
    if inc.get("minKernel") and not _kernel_at_least(inc["minKernel"]):
        return False
    if go_arch in (exc.get("arches") or ()):
        return False
    if any(c in caps for c in exc.get("caps") or ()):
        return False
    return not (exc.get("minKernel") and _kernel_at_least(exc["minKernel"]))


def to_spec_seccomp(profile: dict[str, Any], bounding: list[str]) -> dict[str, Any]:
    """The ``linux.seccomp`` object for a container with these bounding caps."""
    # os.uname() is what platform.machine() reads, without importing platform (~2 ms).
    go_arch, scmp_arch = _ARCHES.get(os.uname().machine, ("", ""))
    arches = list(profile.get("architectures") or ())
    for entry in profile.get("archMap") or ():
        if entry.get("architecture") == scmp_arch:
            arches = [scmp_arch, *(entry.get("subArchitectures") or ())]
    out: dict[str, Any] = {"defaultAction": profile["defaultAction"], "architectures": arches}
    for key in ("defaultErrnoRet", "flags", "listenerPath", "listenerMetadata"):
        if profile.get(key) is not None:
            out[key] = profile[key]
    syscalls = []
    caps = set(bounding)
    for rule in profile.get("syscalls") or ():
        if not _applies(rule, caps, go_arch):
            continue
        names = list(rule.get("names") or ([rule["name"]] if rule.get("name") else []))
        call: dict[str, Any] = {"names": names, "action": rule["action"]}
        if rule.get("errnoRet") is not None:
            call["errnoRet"] = rule["errnoRet"]
        if rule.get("args"):
            call["args"] = rule["args"]
        syscalls.append(call)
    out["syscalls"] = syscalls
    return out


def validate_profile(profile: Any, what: str) -> None:
    """InvalidArgument (one line naming ``what``) unless the runtime can compile it."""
    from hullbox.runtime.seccomp import compile_seccomp

    if not isinstance(profile, dict) or "defaultAction" not in profile:
        raise InvalidArgument(f"{what}: not a seccomp profile (it has no defaultAction); "
                              f"{_SECCOMP_DOCS}")
    if profile.get("architectures") and profile.get("archMap"):
        raise InvalidArgument(f"{what}: use either architectures or archMap, not both")
    try:
        # both ways round, so rules that only some capability sets see are checked too
        compile_seccomp(to_spec_seccomp(profile, []))
        compile_seccomp(to_spec_seccomp(profile, [f"CAP_{c}" for c in CAPABILITIES]))
    except KeyError as exc:
        raise InvalidArgument(f"{what}: invalid profile: a rule has no {exc}; "
                              f"{_SECCOMP_DOCS}") from exc
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidArgument(f"{what}: invalid profile: {exc}; {_SECCOMP_DOCS}") from exc
    except OSError as exc:
        raise InvalidArgument(f"{what}: libseccomp refused the profile: {exc}") from exc
