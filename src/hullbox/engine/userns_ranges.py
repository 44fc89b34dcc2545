"""Host id ranges for --userns auto: where they come from, and who holds which.

The pool is the ``hullbox`` entry of /etc/subuid and /etc/subgid when there is
one (as Podman's ``containers`` entry); otherwise ids from 100000 up, skipping
every range /etc/subuid or /etc/subgid gives to a user. Each container gets
its own range, recorded in the store's userns_ranges table, so no two
containers (nor a user's own subordinate ids) share host ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hullbox.errors import InvalidArgument
from hullbox.store.store import Store

SUBUID = Path("/etc/subuid")
SUBGID = Path("/etc/subgid")
POOL_OWNER = "hullbox"
#: without a hullbox entry: from here up to the top of the 31-bit ids
DEFAULT_POOL = (100000, 2**31 - 100000)


@dataclass(frozen=True)
class IdMapping:
    """The uid_map and gid_map lines of a container: (inside, host, count)."""

    uids: tuple[tuple[int, int, int], ...]
    gids: tuple[tuple[int, int, int], ...]

    @property
    def root(self) -> tuple[int, int]:
        """The host uid and gid of the container's root."""
        return host_id(self.uids, 0), host_id(self.gids, 0)

    def key(self) -> str:
        """A name for this mapping, for files kept once per mapping."""
        def text(lines: tuple[tuple[int, int, int], ...]) -> str:
            return "_".join("-".join(str(n) for n in line) for line in lines)

        return f"u{text(self.uids)}.g{text(self.gids)}"


def host_id(lines: tuple[tuple[int, int, int], ...], inside: int) -> int:
    """The host id an id inside maps to; -1 when it is not mapped."""
    for start, host, count in lines:
        if start <= inside < start + count:
            return host + inside - start
    return -1


def read_subids(path: Path) -> list[tuple[str, int, int]]:
    """(owner, start, count) of each line of /etc/subuid or /etc/subgid."""
    try:
        text = path.read_text()
    except OSError:
        return []
    entries = []
    for line in text.splitlines():
        parts = line.strip().split(":")
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            entries.append((parts[0], int(parts[1]), int(parts[2])))
    return entries


def _free_starts(pool: list[tuple[int, int]], taken: list[tuple[int, int]],
                 size: int) -> int | None:
    """The lowest start of ``size`` ids inside the pool that overlaps nothing taken."""
    for pool_start, pool_count in pool:
        start = pool_start
        for used_start, used_count in sorted(taken):
            if used_start + used_count <= start:
                continue
            if used_start >= start + size:
                break
            start = used_start + used_count
        if start + size <= pool_start + pool_count:
            return start
    return None


def _pools(path: Path) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(pool, ranges others own) from one subid file."""
    entries = read_subids(path)
    own = [(start, count) for owner, start, count in entries if owner == POOL_OWNER]
    if own:
        return own, []
    return [DEFAULT_POOL], [(start, count) for _, start, count in entries]


def allocate(store: Store, container_id: str, size: int) -> IdMapping:
    """The container's range: the one it holds, or a new free one."""
    with store.transaction() as conn:
        row = conn.execute("SELECT uid_start, gid_start, size FROM userns_ranges "
                           "WHERE container_id = ?", (container_id,)).fetchone()
        if row is None:
            # ranges of removed containers are free again
            conn.execute("DELETE FROM userns_ranges WHERE container_id NOT IN "
                         "(SELECT id FROM containers)")
            held = conn.execute("SELECT uid_start, gid_start, size FROM userns_ranges"
                                ).fetchall()
            starts = []
            for column, path in ((0, SUBUID), (1, SUBGID)):
                pool, others = _pools(path)
                taken = others + [(r[column], r[2]) for r in held]
                start = _free_starts(pool, taken, size)
                if start is None:
                    raise InvalidArgument(
                        f"--userns auto: no free range of {size} ids left in {path} "
                        f"for {POOL_OWNER!r}; remove containers or add ids to its entry")
                starts.append(start)
            row = (starts[0], starts[1], size)
            conn.execute("INSERT INTO userns_ranges VALUES (?, ?, ?, ?)",
                         (container_id, *row))
    uid_start, gid_start, count = row
    return IdMapping(((0, uid_start, count),), ((0, gid_start, count),))


def mappings_in_use(store: Store) -> set[str]:
    """The keys of the automatic mappings existing containers hold."""
    rows = store.db.execute("SELECT uid_start, gid_start, size FROM userns_ranges WHERE "
                            "container_id IN (SELECT id FROM containers)").fetchall()
    return {IdMapping(((0, u, n),), ((0, g, n),)).key() for u, g, n in rows}
