"""--userns, --uidmap and --gidmap as typed, checked when the container is created."""

from __future__ import annotations

import os

from hullbox.errors import InvalidArgument

#: the size of an automatic range when none is asked for: every 16-bit id
DEFAULT_SIZE = 65536
_MODES = "use --userns host, auto or auto:size=N"


def kernel_allows_userns() -> str:
    """"" when this kernel gives user namespaces, else why not."""
    if not os.path.exists("/proc/self/ns/user"):
        return "this kernel was built without user namespaces (CONFIG_USER_NS)"
    try:
        with open("/proc/sys/user/max_user_namespaces") as f:
            if int(f.read()) == 0:
                return "user.max_user_namespaces is 0 (sysctl -w user.max_user_namespaces=15000)"
    except (OSError, ValueError):
        pass
    return ""


def parse_idmap(text: str, flag: str) -> list[int]:
    """``0:100000:65536`` -> [inside, host, size]."""
    parts = text.split(":")
    try:
        inside, host, size = (int(p) for p in parts)
    except ValueError:
        raise InvalidArgument(f"invalid {flag} {text!r}: use CONTAINER_ID:HOST_ID:SIZE, "
                              "e.g. 0:100000:65536") from None
    if inside < 0 or host < 0 or size < 1 or host + size > 2**32 - 1:
        raise InvalidArgument(f"invalid {flag} {text!r}: ids must be 0 or more, the size at "
                              "least 1, and the range below 4294967295")
    return [inside, host, size]


def parse_userns(userns: str, uidmap: tuple[str, ...], gidmap: tuple[str, ...], *,
                 privileged: bool) -> tuple[str, list[list[int]], list[list[int]]]:
    """(mode, uid lines, gid lines) from the flags; InvalidArgument names the bad one."""
    mode = userns.strip()
    if mode.startswith("auto"):
        size_option = mode[len("auto"):]
        if size_option and not size_option.startswith(":size="):
            raise InvalidArgument(f"invalid --userns {userns!r}: {_MODES}")
        if size_option:
            try:
                size = int(size_option[len(":size="):])
            except ValueError:
                raise InvalidArgument(f"invalid --userns {userns!r}: the size is a "
                                      "whole number of ids, e.g. auto:size=65536") from None
            if not 1 <= size <= 2**31:
                raise InvalidArgument(f"invalid --userns {userns!r}: the size must be "
                                      "between 1 and 2147483648")
    elif mode not in ("", "host"):
        raise InvalidArgument(f"invalid --userns {userns!r}: {_MODES}")
    uids = [parse_idmap(m, "--uidmap") for m in uidmap]
    gids = [parse_idmap(m, "--gidmap") for m in gidmap] or [list(line) for line in uids]
    if gids and not uids:
        raise InvalidArgument("--gidmap needs a --uidmap too")
    if (uids and mode) or (mode.startswith("auto") and privileged):
        what = "--uidmap" if uids else "--privileged"
        raise InvalidArgument(f"--userns {mode} and {what} conflict: use one of them")
    if uids and privileged:
        raise InvalidArgument("--uidmap and --privileged conflict: use one of them")
    if (uids and not any(inside == 0 for inside, _, _ in uids)) or (
            gids and not any(inside == 0 for inside, _, _ in gids)):
        raise InvalidArgument("--uidmap and --gidmap must map the container's root "
                              "(a line with CONTAINER_ID 0)")
    if mode.startswith("auto") or uids:
        reason = kernel_allows_userns()
        if reason:
            raise InvalidArgument(f"--userns {mode or 'with --uidmap'}: {reason}; "
                                  "use --userns host")
    return mode, uids, gids


def requested_size(mode: str) -> int:
    """The number of ids an auto mode asks for."""
    _, _, size = mode.partition(":size=")
    return int(size) if size else DEFAULT_SIZE
