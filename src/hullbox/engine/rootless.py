"""Rootless mode: an ordinary user runs containers.

Before it mounts anything, the process that keeps a container (a foreground
``run``, or the monitor) moves into a user namespace where the user is root,
and a mount namespace of its own; the container's namespaces are then made
inside it. The mapping is the user's own id as root, plus the user's
subordinate ids from /etc/subuid and /etc/subgid, written by newuidmap and
newgidmap (Debian's ``uidmap``); without a subordinate range, only the
user's own id is mapped (Apptainer's model: the same user inside and out).
cgroups are used only where the user may write them (delegated); bridges
cannot be made, so the default network is slirp4netns (engine/slirp.py),
else none.
"""

from __future__ import annotations

import os
import pwd
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hullbox.engine.userns_ranges import SUBGID, SUBUID, read_subids
from hullbox.errors import InvalidArgument, RuntimeFailure
from hullbox.linux.namespaces import CLONE_NEWNS, CLONE_NEWUSER, unshare
from hullbox.linux.userns import IdMap, in_user_namespace, write_id_maps

if TYPE_CHECKING:
    from hullbox.engine.options import ContainerOptions


def is_rootless() -> bool:
    """Running as an ordinary user, or already inside rootless mode's namespace."""
    return os.geteuid() != 0 or in_user_namespace()


def host_uid() -> int:
    """The host uid this process runs as (its own uid mapped out of a user namespace)."""
    try:
        with open("/proc/self/uid_map") as f:
            for line in f:
                inside, outside, count = (int(n) for n in line.split())
                if inside <= os.getuid() < inside + count:
                    return outside + os.getuid() - inside
    except (OSError, ValueError):
        pass
    return os.getuid()


def subordinate_ids(uid: int, path: str) -> list[tuple[int, int]]:
    """(start, count) of the entries for uid (by name or number) in a subid file."""
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        name = str(uid)
    return [(start, count) for owner, start, count in read_subids(Path(path))
            if owner in (name, str(uid))]


def id_maps() -> tuple[list[IdMap], list[IdMap], str]:
    """(uid map, gid map, description) for this user."""
    uid, gid = os.getuid(), os.getgid()
    subuids = subordinate_ids(uid, str(SUBUID))
    subgids = subordinate_ids(uid, str(SUBGID))
    if subuids and subgids:
        uids: list[IdMap] = [(0, uid, 1), (1, *subuids[0])]
        gids: list[IdMap] = [(0, gid, 1), (1, *subgids[0])]
        return uids, gids, (f"root is uid {uid}, ids 1-{subuids[0][1]} are "
                            f"{subuids[0][0]}-{subuids[0][0] + subuids[0][1] - 1} (/etc/subuid)")
    return [(0, uid, 1)], [(0, gid, 1)], f"single id: root is uid {uid} (no /etc/subuid range)"


def enter() -> None:
    """Move this process into rootless mode's user and mount namespaces
    (nothing when root, or already there). It must be single-threaded."""
    if not is_rootless() or in_user_namespace():
        return
    uids, gids, _ = id_maps()
    parent = os.getpid()
    helper = -1
    go_r, go_w = os.pipe()
    if len(uids) > 1:
        # newuidmap must run from outside the namespace it maps
        helper = os.fork()
        if helper == 0:  # pragma: no cover - reported through its exit status
            code = 1
            try:
                os.close(go_w)
                if os.read(go_r, 1) == b"1":
                    write_id_maps(parent, uids, gids)
                    code = 0
            except BaseException as exc:
                os.write(2, f"hullbox: rootless: {exc}\n".encode())
            finally:
                os._exit(code)
    os.close(go_r)
    try:
        unshare(CLONE_NEWUSER | CLONE_NEWNS)
    except OSError as exc:
        os.close(go_w)
        if helper > 0:
            os.waitpid(helper, 0)
        raise RuntimeFailure(f"rootless: create a user namespace: {exc.strerror}; "
                             "user namespaces may be disabled (kernel.unprivileged_userns_clone, "
                             "user.max_user_namespaces)") from exc
    if helper > 0:
        os.write(go_w, b"1")
        os.close(go_w)
        _, status = os.waitpid(helper, 0)
        if status != 0:
            raise RuntimeFailure("rootless: newuidmap/newgidmap could not map the ids of "
                                 "/etc/subuid; check its entry for this user, or remove it "
                                 "to run with a single id")
    else:
        os.close(go_w)
        write_id_maps(parent, uids, gids, caller=(uids[0][1], gids[0][1]))
    from hullbox.linux import mounts

    # what this process mounts stays in its namespace
    mounts.mount(None, "/", None, mounts.MS_REC | mounts.MS_PRIVATE)


def remove_tree(path: Path) -> None:
    """shutil.rmtree, errors ignored. In rootless mode what the user may not
    remove itself (files of its subordinate ids that a container made, the
    mode-000 work dir overlayfs leaves) goes from inside a user namespace
    with its mapping, where it is root over all of them."""
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    if not os.path.lexists(path) or not is_rootless() or in_user_namespace():
        return
    pid = os.fork()
    if pid == 0:  # pragma: no cover - reported through its exit status
        code = 1
        try:
            enter()
            shutil.rmtree(path, ignore_errors=True)
            code = 0
        finally:
            os._exit(code)
    os.waitpid(pid, 0)


def prepare(record_config: dict[str, Any]) -> None:
    """Enter rootless mode for a container about to start, and adapt what a
    user cannot have: a bridge (the default network) and undelegated cgroups."""
    if not is_rootless():
        return
    enter()
    if record_config.get("network", "default") in ("default", "bridge"):
        record_config["network"] = _default_network()  # a record made before slirp4netns
    from hullbox.engine.rootless_cgroups import warn_at_start

    warn_at_start(record_config)


def _default_network() -> str:
    from hullbox.engine.slirp import unavailable

    return "none" if unavailable() else "slirp4netns"


def adapt_options(options: ContainerOptions) -> None:
    """At create, in rootless mode: what an ordinary user cannot have, changed
    or refused (networks, cgroup limits)."""
    if not is_rootless():
        return
    from hullbox.engine.rootless_cgroups import drop_undelegated_limits

    refuse_own_mapping(options)
    adapt_network(options)
    drop_undelegated_limits(options)


def refuse_own_mapping(options: ContainerOptions) -> None:
    """--userns auto and --uidmap ask for host ids of the container's own,
    which only root may map; in rootless mode every container gets the
    user's mapping (its own id and its /etc/subuid range)."""
    security = options.security
    if security.userns.startswith("auto") or security.uidmap:
        flag = "--userns auto" if security.userns.startswith("auto") else "--uidmap"
        raise InvalidArgument(f"rootless: {flag} needs host ids of the container's own, "
                              "which rootless hullbox does not carve out of the user's "
                              "/etc/subuid range; leave it out (the container gets the "
                              "user's own id and subordinate ids) or run as root")


def refuse_bridge(what: str) -> None:
    """InvalidArgument in rootless mode: a bridge network is root's to make."""
    if is_rootless():
        raise InvalidArgument(f"rootless: {what}: a network is a bridge, which only root can "
                              "make; run containers with --network slirp4netns (the rootless "
                              "default), or run hullbox as root")


def adapt_network(options: ContainerOptions) -> None:
    """The default network is slirp4netns (none, with a warning, where it
    cannot run); a bridge network is refused."""
    mode = options.network
    if mode in ("default", "bridge"):
        from hullbox.engine.slirp import unavailable

        why = unavailable()
        options.network = "none" if why else "slirp4netns"
        if why:
            sys.stderr.write(f"hullbox: warning: rootless: the container has no network: "
                             f"{why}\n")
    elif mode not in ("none", "host") and not mode.startswith(("container:", "slirp4netns")):
        raise InvalidArgument(f"rootless: --network {mode} needs a bridge, which only root "
                              "can make; use --network slirp4netns (the default), host "
                              "or none")
