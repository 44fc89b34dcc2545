"""The metadata database: one SQLite file in WAL mode.

Each statement group that changes state runs in one transaction, so a crash
leaves the previous state or the next, never a half.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY,              -- config digest (Docker's image ID)
    manifest_digest TEXT NOT NULL,
    size INTEGER NOT NULL,            -- unpacked size in bytes
    created TEXT NOT NULL,            -- RFC 3339, from the config
    added REAL NOT NULL               -- when it entered this store
);
CREATE TABLE IF NOT EXISTS tags (
    name TEXT PRIMARY KEY,            -- normalised: docker.io/library/busybox:latest
    image_id TEXT NOT NULL REFERENCES images(id)
);
CREATE INDEX IF NOT EXISTS tags_image ON tags(image_id);
CREATE TABLE IF NOT EXISTS layers (
    chain_id TEXT PRIMARY KEY,
    diff_id TEXT NOT NULL,
    parent TEXT,                      -- chain id of the layer below, NULL at the bottom
    size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS containers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    image_id TEXT NOT NULL,
    image_name TEXT NOT NULL,         -- as the user typed it, for ps
    command TEXT NOT NULL,            -- JSON list: entrypoint + cmd
    config TEXT NOT NULL,             -- JSON: the options the container was made with
    state TEXT NOT NULL,              -- created, running, exited
    pid INTEGER NOT NULL DEFAULT 0,
    exit_code INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    started REAL NOT NULL DEFAULT 0,
    finished REAL NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT ''
);
"""

#: ALTERs that bring a database of version N-1 to version N (index N-2), so a
#: store made by an older hullbox keeps every row. Only ever append.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (   # 2: detached containers and their monitor (issue 3)
        "ALTER TABLE containers ADD COLUMN monitor_pid INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE containers ADD COLUMN restart_count INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE containers ADD COLUMN restart_policy TEXT NOT NULL DEFAULT ''",
        # set by stop/kill so the restart policy knows the user ended it
        "ALTER TABLE containers ADD COLUMN stop_requested INTEGER NOT NULL DEFAULT 0",
    ),
    (   # 3: the digests registries know an image by: name@sha256:... (issue 5)
        """CREATE TABLE IF NOT EXISTS repo_digests (
            name TEXT NOT NULL,           -- normalised repository: docker.io/library/busybox
            digest TEXT NOT NULL,         -- manifest (or index) digest in that repository
            image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
            PRIMARY KEY (name, digest)
        )""",
        "CREATE INDEX IF NOT EXISTS repo_digests_image ON repo_digests(image_id)",
    ),
    (   # 4: virtual machines (issue 9)
        """CREATE TABLE IF NOT EXISTS machines (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            config TEXT NOT NULL,             -- JSON: vm.config.MachineConfig
            state TEXT NOT NULL,              -- stopped or running, as hullbox last left it
            pid INTEGER NOT NULL DEFAULT 0,   -- qemu's, while running
            created REAL NOT NULL,
            started REAL NOT NULL DEFAULT 0,
            finished REAL NOT NULL DEFAULT 0,
            error TEXT NOT NULL DEFAULT '',   -- why qemu ended when no one asked it to
            saved_state TEXT NOT NULL DEFAULT ''  -- snapshot the next start resumes from
        )""",
    ),
    (   # 5: volumes (issue 7); containers name theirs in config.storage.mount_points
        """CREATE TABLE IF NOT EXISTS volumes (
            name TEXT PRIMARY KEY,
            driver TEXT NOT NULL,
            options TEXT NOT NULL,        -- JSON: the driver's --opt
            labels TEXT NOT NULL,         -- JSON
            created REAL NOT NULL
        )""",
    ),
    (   # 6: health checks (issue 3): JSON {Status, FailingStreak, Log}, '' without one
        "ALTER TABLE containers ADD COLUMN health TEXT NOT NULL DEFAULT ''",
    ),
    (   # 7: networks, address leases and published ports (issue 7)
        """CREATE TABLE IF NOT EXISTS networks (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            driver TEXT NOT NULL,         -- bridge
            bridge TEXT NOT NULL UNIQUE,  -- the Linux bridge's name
            subnet TEXT NOT NULL,         -- 10.89.0.0/24
            gateway TEXT NOT NULL,
            internal INTEGER NOT NULL DEFAULT 0,
            labels TEXT NOT NULL DEFAULT '{}',
            created REAL NOT NULL
        )""",
        # One row per running endpoint: a container's address on a network.
        """CREATE TABLE IF NOT EXISTS network_leases (
            network_id TEXT NOT NULL REFERENCES networks(id),
            container_id TEXT NOT NULL,
            address TEXT NOT NULL,
            mac TEXT NOT NULL,
            host_ifname TEXT NOT NULL,    -- the host side of the veth pair
            aliases TEXT NOT NULL DEFAULT '[]',
            PRIMARY KEY (network_id, address),
            UNIQUE (network_id, container_id)
        )""",
        "CREATE INDEX IF NOT EXISTS network_leases_container ON network_leases(container_id)",
        """CREATE TABLE IF NOT EXISTS published_ports (
            container_id TEXT NOT NULL,
            proto TEXT NOT NULL,          -- tcp, udp
            host_ip TEXT NOT NULL,        -- 0.0.0.0 for every address of the host
            host_port INTEGER NOT NULL,
            container_ip TEXT NOT NULL,
            container_port INTEGER NOT NULL,
            PRIMARY KEY (proto, host_ip, host_port)
        )""",
    ),
    (   # 8: host id ranges of --userns auto containers, so no two overlap (issue 4)
        """CREATE TABLE IF NOT EXISTS userns_ranges (
            container_id TEXT PRIMARY KEY,
            uid_start INTEGER NOT NULL,   -- host uid of the container's root
            gid_start INTEGER NOT NULL,
            size INTEGER NOT NULL
        )""",
    ),
    (   # 9: --ip-range and IPv6 networks (issue 7); '' where a network has none
        "ALTER TABLE networks ADD COLUMN ip_range TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE networks ADD COLUMN subnet6 TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE networks ADD COLUMN gateway6 TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE network_leases ADD COLUMN address6 TEXT NOT NULL DEFAULT ''",
    ),
    (   # 10: network create -o, --aux-address, --ipam-opt, --config-only... (JSON)
        "ALTER TABLE networks ADD COLUMN settings TEXT NOT NULL DEFAULT '{}'",
    ),
)


#: Each parallel line of work appends its own entry; the version follows.
SCHEMA_VERSION = 1 + len(_MIGRATIONS)


def connect(path: Path) -> sqlite3.Connection:
    """Open (and on first use create) the database."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.row_factory = sqlite3.Row
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA_VERSION:
        # journal_mode persists in the file, so it is set once, with the schema.
        conn.execute("PRAGMA journal_mode=WAL")
        _migrate(conn)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    """Create the tables or bring them up to SCHEMA_VERSION, in one transaction
    that re-reads the version, so two commands opening an old store at once do
    not both apply the same ALTER."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version >= SCHEMA_VERSION:  # another command migrated it, or a newer hullbox
            conn.execute("ROLLBACK")
            return
        if version == 0:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            version = 1
        for steps in _MIGRATIONS[version - 1:]:
            for statement in steps:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
