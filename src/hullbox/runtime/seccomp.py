"""config.json's ``linux.seccomp`` -> a BPF program ready to load in the init.

The parent compiles (libseccomp needs the host's libraries); the child only
loads the result. Semantics follow runc: ``errnoRet`` defaults to EPERM,
syscall names libseccomp does not know are skipped, comparisons on the same
argument index in one rule become one rule each.
"""

from __future__ import annotations

import errno

from hullbox.linux import seccomp as sc

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

#: linux.seccomp.flags that need seccomp(2); prctl loading leaves them out, which
#: only costs a log line (LOG) or keeps the SSB mitigation on (SPEC_ALLOW).
_IGNORED_FLAGS = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                  "SECCOMP_FILTER_FLAG_SPEC_ALLOW"}


def action_value(name: str, ret: int | None) -> int:
    """The libseccomp action for a config.json action name; ValueError if unknown."""
    if name == "SCMP_ACT_ERRNO":
        return sc.SCMP_ACT_ERRNO(errno.EPERM if ret is None else int(ret))
    if name == "SCMP_ACT_TRACE":
        return sc.SCMP_ACT_TRACE(errno.EPERM if ret is None else int(ret))
    simple = {"SCMP_ACT_ALLOW": sc.SCMP_ACT_ALLOW, "SCMP_ACT_KILL": sc.SCMP_ACT_KILL_THREAD,
              "SCMP_ACT_KILL_THREAD": sc.SCMP_ACT_KILL_THREAD,
              "SCMP_ACT_KILL_PROCESS": sc.SCMP_ACT_KILL_PROCESS,
              "SCMP_ACT_TRAP": sc.SCMP_ACT_TRAP, "SCMP_ACT_LOG": sc.SCMP_ACT_LOG}
    if name not in simple:
        raise ValueError(f"unknown seccomp action {name!r}")
    return simple[name]


def arch_name(spec_arch: str) -> str:
    """``SCMP_ARCH_X86_64`` -> libseccomp's ``x86_64``."""
    return spec_arch.removeprefix("SCMP_ARCH_").lower()


def _conditions(args: list[dict[str, Any]]) -> list[tuple[tuple[int, int, int, int], ...]]:
    """One tuple of comparisons per rule to add (split where an index repeats)."""
    conds = []
    for arg in args:
        op = sc.COMPARE_OPS.get(arg.get("op", ""))
        if op is None:
            raise ValueError(f"unknown seccomp comparison {arg.get('op')!r}")
        index = int(arg["index"])
        if not 0 <= index < 6:
            raise ValueError(f"seccomp argument index {index} is not 0..5")
        conds.append((index, op, int(arg.get("value", 0)), int(arg.get("valueTwo", 0))))
    if len({c[0] for c in conds}) < len(conds):
        return [(c,) for c in conds]
    return [tuple(conds)]


def compile_seccomp(config: dict[str, Any]) -> bytes:
    """The BPF program of a ``linux.seccomp`` object; ValueError/KeyError/TypeError if
    it is malformed, OSError when libseccomp is missing or refuses it."""
    default = action_value(config["defaultAction"], config.get("defaultErrnoRet"))
    for flag in config.get("flags") or ():
        if flag not in _IGNORED_FLAGS:
            raise ValueError(f"unknown seccomp flag {flag!r}")
    if config.get("listenerPath"):
        raise ValueError("seccomp notification (SCMP_ACT_NOTIFY, listenerPath) is not supported")
    rules: list[sc.Rule] = []
    for entry in config.get("syscalls") or ():
        action = action_value(entry["action"], entry.get("errnoRet"))
        names = entry.get("names") or ([entry["name"]] if entry.get("name") else [])
        for conds in _conditions(list(entry.get("args") or ())):
            rules.extend((str(name), action, conds) for name in names)
    arches = [arch_name(a) for a in config.get("architectures") or ()]
    return sc.compile_filter(default, arches, rules)


def prepare_seccomp(config: dict[str, Any] | None) -> sc.Program | None:
    """A loadable program for the spec's ``linux.seccomp``; None when there is none."""
    if not config:
        return None
    return sc.Program(compile_seccomp(config))
