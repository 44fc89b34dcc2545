"""A container's root filesystem: the image's layers under an overlay, and the
files hullbox writes for it (hostname, hosts, resolv.conf)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from hullbox.errors import RuntimeFailure
from hullbox.linux import mounts
from hullbox.store.overlay import OverlayDirs


@dataclass(frozen=True)
class ContainerPaths(OverlayDirs):
    """The files of one container directory."""

    base: Path

    @property
    def config(self) -> Path:
        return self.base / "config.json"

    def etc_file(self, name: str) -> Path:
        return self.base / name

    def make(self) -> None:
        self.base.mkdir(mode=0o700)
        for path in (self.rootfs, self.upper, self.work):
            path.mkdir(mode=0o755)


def is_mounted(path: Path) -> bool:
    """True when ``path`` is a mount point (found in /proc/self/mountinfo)."""
    target = os.fsencode(str(path))
    with open("/proc/self/mountinfo", "rb") as info:
        return any(line.split()[4] == target for line in info)


def mount_overlay(paths: ContainerPaths, lower_dirs: list[Path], *, volatile: bool = False) -> None:
    """Mount the layers (top first) plus the container's own upper dir.

    ``volatile`` (for ``--rm`` containers, as Podman does) skips the syncs of
    the upper dir, whose content is thrown away anyway; kernels before 5.10
    lack it, so it is dropped when refused.
    """
    if not lower_dirs:
        raise RuntimeFailure("mount rootfs: the image has no layers")
    options = paths.overlay_options([str(p) for p in lower_dirs])
    try:
        if volatile:
            try:
                mounts.mount("overlay", str(paths.rootfs), "overlay", 0, options + ",volatile")
                return
            except OSError:
                pass
        mounts.mount("overlay", str(paths.rootfs), "overlay", 0, options)
    except OSError as exc:
        raise RuntimeFailure(f"mount rootfs {paths.rootfs}: {exc.strerror}") from exc


def unmount_rootfs(paths: ContainerPaths) -> None:
    """Unmount the overlay if mounted; a lazy detach so a busy mount goes too."""
    with contextlib.suppress(FileNotFoundError):
        if is_mounted(paths.rootfs):
            mounts.umount(str(paths.rootfs), mounts.MNT_DETACH)
    if (paths.base / "shm").is_dir():  # --ipc shareable's /dev/shm
        from hullbox.engine.namespace_ipc import unmount_shm

        unmount_shm(paths.base)


@dataclass(frozen=True)
class ResolvedUser:
    """A user as the runtime-spec wants it: numbers only."""

    uid: int
    gid: int
    additional_gids: tuple[int, ...]
    home: str


def _read_db(path: Path) -> list[list[str]]:
    try:
        text = path.read_text(errors="replace")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return []
    return [line.split(":") for line in text.splitlines() if line and not line.startswith("#")]


def resolve_user(rootfs: Path, spec: str) -> ResolvedUser:
    """Resolve ``user[:group]`` (names or numbers) against the image's own
    /etc/passwd and /etc/group, as Docker does."""
    user, _, group = (spec or "0").partition(":")
    passwd = _read_db(rootfs / "etc" / "passwd")
    entry = next(
        (e for e in passwd if len(e) >= 7 and (e[0] == user or (user.isdigit() and e[2] == user))),
        None,
    )
    if entry is not None:
        uid, gid, home = int(entry[2]), int(entry[3]), entry[5]
    elif user.isdigit():
        uid, gid, home = int(user), 0, "/"
    else:
        raise RuntimeFailure(f"unable to find user {user}: no matching entries in passwd file")
    groups = _read_db(rootfs / "etc" / "group")
    if group:
        match = next(
            (g for g in groups if len(g) >= 3 and (g[0] == group or g[2] == group)), None
        )
        if match is not None:
            gid = int(match[2])
        elif group.isdigit():
            gid = int(group)
        else:
            raise RuntimeFailure(
                f"unable to find group {group}: no matching entries in group file"
            )
    name = entry[0] if entry is not None else None
    # Like Docker: the primary group is also a supplementary one, followed by
    # the groups that list the user as a member.
    extra = (gid, *(
        int(g[2])
        for g in groups
        if len(g) >= 4 and name and name in g[3].split(",") and int(g[2]) != gid
    ))
    return ResolvedUser(uid=uid, gid=gid, additional_gids=extra, home=home)


def hosts_file(hostname: str) -> str:
    """/etc/hosts for a container without a bridge network."""
    return (
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\n"
        "ff00::0\tip6-mcastprefix\n"
        "ff02::1\tip6-allnodes\n"
        "ff02::2\tip6-allrouters\n"
        f"127.0.1.1\t{hostname}\n"
    )


def resolv_conf(host_network: bool) -> str:
    """The host's resolv.conf; loopback resolvers dropped unless the container
    shares the host's network (they would not answer inside its namespace)."""
    try:
        lines = Path("/etc/resolv.conf").read_text().splitlines()
    except OSError:
        lines = []
    if not host_network:
        lines = [
            line for line in lines
            if not (line.startswith("nameserver") and line.split()[1:2]
                    and (line.split()[1].startswith("127.") or line.split()[1] == "::1"))
        ]
    return "\n".join(lines) + "\n"
