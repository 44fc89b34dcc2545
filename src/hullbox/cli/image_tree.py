"""``images --tree``: each image and, under it, the platform it holds (a
hullbox image is one platform's), as docker's experimental tree view."""

from __future__ import annotations

from typing import Any

from hullbox.cli.format import print_table


def print_tree(obj: Any, records: list[Any]) -> None:
    """Docker's columns: IMAGE, ID, DISK USAGE, CONTENT SIZE, EXTRA (U: in use)."""
    from hullbox.engine.image_platform import image_platform
    from hullbox.engine.units import human_size
    from hullbox.oci import reference
    from hullbox.store import containers as container_db

    in_use = {c.image_id for c in container_db.list_all(obj.engine.store)}
    rows: list[list[str]] = []
    for record in records:
        image = obj.engine.images.get(record.id)
        manifest = obj.engine.images.manifest(image)
        content = sum(layer.size for layer in manifest.layers) + manifest.config.size
        used = "U" if record.id in in_use else ""
        sizes = [human_size(record.size), human_size(content)]
        names = [reference.parse(t).familiar for t in record.tags] or ["<untagged>"]
        for name in names:
            rows.append([name, record.short_id, *sizes, used])
            rows.append([f"└─ {image_platform(image.config)}",
                         record.manifest_digest.removeprefix("sha256:")[:12], *sizes, used])
        rows.append(["", "", "", "", ""])
    if rows:
        rows.pop()  # no blank line after the last image
    print_table(["IMAGE", "ID", "DISK USAGE", "CONTENT SIZE", "EXTRA"], rows)
