"""Image records: images by config digest, tags by normalised name, layers by
chain ID."""

from __future__ import annotations

import time
from dataclasses import dataclass

from hullbox.store.store import Store


@dataclass(frozen=True)
class LayerRecord:
    """One unpacked layer: its chain ID names its directory in the store."""

    chain_id: str
    diff_id: str
    parent: str | None
    size: int


@dataclass(frozen=True)
class ImageRecord:
    """An image in the store: Docker's image ID is the config digest."""

    id: str
    manifest_digest: str
    size: int
    created: str
    added: float
    tags: tuple[str, ...]

    @property
    def short_id(self) -> str:
        return self.id.removeprefix("sha256:")[:12]


def add_image(
    store: Store,
    *,
    config_digest: str,
    manifest_digest: str,
    size: int,
    created: str,
    layers: list[LayerRecord],
    tags: list[str],
) -> ImageRecord:
    """Record an image whose blobs and layers are already in place; a tag that
    named another image moves to this one (Docker's behaviour)."""
    with store.transaction() as conn:
        for layer in layers:
            conn.execute(
                "INSERT OR IGNORE INTO layers(chain_id, diff_id, parent, size) VALUES (?,?,?,?)",
                (layer.chain_id, layer.diff_id, layer.parent, layer.size),
            )
        conn.execute(
            "INSERT OR IGNORE INTO images(id, manifest_digest, size, created, added)"
            " VALUES (?,?,?,?,?)",
            (config_digest, manifest_digest, size, created, time.time()),
        )
        for tag in tags:
            conn.execute(
                "INSERT INTO tags(name, image_id) VALUES (?,?)"
                " ON CONFLICT(name) DO UPDATE SET image_id=excluded.image_id",
                (tag, config_digest),
            )
    found = get_image(store, config_digest)
    assert found is not None
    return found


def get_image(store: Store, image_id: str) -> ImageRecord | None:
    """The image with exactly this ID, or None."""
    row = store.db.execute("SELECT * FROM images WHERE id=?", (image_id,)).fetchone()
    if row is None:
        return None
    tags = tuple(
        r[0]
        for r in store.db.execute(
            "SELECT name FROM tags WHERE image_id=? ORDER BY name", (image_id,)
        )
    )
    return ImageRecord(
        id=row["id"],
        manifest_digest=row["manifest_digest"],
        size=row["size"],
        created=row["created"],
        added=row["added"],
        tags=tags,
    )


def image_id_for_tag(store: Store, name: str) -> str | None:
    row = store.db.execute("SELECT image_id FROM tags WHERE name=?", (name,)).fetchone()
    return None if row is None else str(row[0])


def image_ids_with_prefix(store: Store, hex_prefix: str) -> list[str]:
    rows = store.db.execute(
        "SELECT id FROM images WHERE id >= ? AND id < ?",
        (f"sha256:{hex_prefix}", f"sha256:{hex_prefix}\uffff"),
    )
    return [r[0] for r in rows]


def list_images(store: Store) -> list[ImageRecord]:
    ids = [r[0] for r in store.db.execute("SELECT id FROM images ORDER BY added DESC")]
    return [img for img in (get_image(store, i) for i in ids) if img is not None]


def add_tag(store: Store, name: str, image_id: str) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO tags(name, image_id) VALUES (?,?)"
            " ON CONFLICT(name) DO UPDATE SET image_id=excluded.image_id",
            (name, image_id),
        )


def remove_tag(store: Store, name: str) -> bool:
    with store.transaction() as conn:
        return conn.execute("DELETE FROM tags WHERE name=?", (name,)).rowcount > 0


def add_repo_digest(store: Store, name: str, digest: str, image_id: str) -> None:
    """Remember that repository ``name`` knows ``image_id`` by ``digest``."""
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO repo_digests(name, digest, image_id) VALUES (?,?,?)"
            " ON CONFLICT(name, digest) DO UPDATE SET image_id=excluded.image_id",
            (name, digest, image_id),
        )


def repo_digests(store: Store, image_id: str) -> list[str]:
    """``name@digest`` for each repository that knows this image."""
    rows = store.db.execute(
        "SELECT name, digest FROM repo_digests WHERE image_id=? ORDER BY name, digest",
        (image_id,))
    return [f"{r[0]}@{r[1]}" for r in rows]


def remove_image_record(store: Store, image_id: str) -> None:
    """Forget an image and its tags (its blobs and layers are collected apart)."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM repo_digests WHERE image_id=?", (image_id,))
        conn.execute("DELETE FROM tags WHERE image_id=?", (image_id,))
        conn.execute("DELETE FROM images WHERE id=?", (image_id,))


def layer_chain(store: Store, top_chain_id: str) -> list[LayerRecord]:
    """The layers of a stack from the top down, by following parent links."""
    chain: list[LayerRecord] = []
    current: str | None = top_chain_id
    while current:
        row = store.db.execute("SELECT * FROM layers WHERE chain_id=?", (current,)).fetchone()
        if row is None:
            break
        chain.append(LayerRecord(row["chain_id"], row["diff_id"], row["parent"], row["size"]))
        current = row["parent"]
    return chain
