"""Removing what no image references any more: layers and blobs."""

from __future__ import annotations

import contextlib
import json

from hullbox.errors import StoreError
from hullbox.oci.digest import chain_ids, digest_hex
from hullbox.oci.image import Manifest
from hullbox.store import images as image_db
from hullbox.store.store import Store


def collect_garbage(store: Store) -> int:
    """Delete layers and blobs not reachable from any image; returns how many
    entries were removed. Runs under the store lock so a concurrent import does
    not lose a layer it just unpacked (imports take the same lock)."""
    removed = 0
    with store.lock():
        from hullbox.build.cache import cached_refs
        from hullbox.engine.rootless import remove_tree

        live_blobs, live_layers = cached_refs(store)  # the build cache's layers
        for image in image_db.list_images(store):
            live_blobs.add(digest_hex(image.id))
            live_blobs.add(digest_hex(image.manifest_digest))
            # What registries know it by: its manifest, or the index it was
            # pulled through (kept so a push can send the index back).
            live_blobs.update(digest_hex(ref.rsplit("@", 1)[1])
                              for ref in image_db.repo_digests(store, image.id))
            with contextlib.suppress(StoreError, ValueError, KeyError):
                manifest = Manifest.from_json(json.loads(store.read_blob(image.manifest_digest)))
                live_blobs.update(digest_hex(layer.digest) for layer in manifest.layers)
                config = json.loads(store.read_blob(image.id))
                live_layers.update(
                    digest_hex(c) for c in chain_ids(config.get("rootfs", {}).get("diff_ids", []))
                )
        for path in store.layers_dir.iterdir():
            if path.name not in live_layers and not path.name.startswith("."):
                remove_tree(path)  # rootless: files of its mapped ids too
                removed += 1
        for path in store.blobs_dir.iterdir():
            if path.name not in live_blobs and not path.name.startswith("."):
                path.unlink(missing_ok=True)
                removed += 1
        from hullbox.vm.micro.cleanup import remove_unused_image_files

        # an image's microVM disk and snapshots go with it (--isolation vm)
        remove_unused_image_files(store.root,
                                  (image.id for image in image_db.list_images(store)))
        with store.transaction() as conn:
            known = [r[0] for r in conn.execute("SELECT chain_id FROM layers")]
            for chain_id in known:
                if digest_hex(chain_id) not in live_layers:
                    conn.execute("DELETE FROM layers WHERE chain_id=?", (chain_id,))
    return removed
