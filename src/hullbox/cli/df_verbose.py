"""``system df``: the rows for volumes and the build cache, and ``-v``'s
four tables, laid out as ``docker system df -v`` prints them."""

from __future__ import annotations

import json
from typing import Any

import click

from hullbox.cli.format import ago, print_table, render_template
from hullbox.engine.units import human_size


def extra_rows(engine: Any) -> list[dict[str, str]]:
    """The "Local Volumes" and "Build Cache" rows of the summary."""
    from hullbox.engine.system_usage import usage

    found = usage(engine)
    volumes = sum(v.size for v in found.volumes)
    unused = sum(v.size for v in found.volumes if not v.links)
    cache = sum(entry.size for entry in found.cache)
    share = f" ({100 * unused // volumes}%)" if volumes else ""
    return [
        {"Type": "Local Volumes", "TotalCount": str(len(found.volumes)),
         "Active": str(sum(1 for v in found.volumes if v.links)), "Size": human_size(volumes),
         "Reclaimable": human_size(unused) + share},
        {"Type": "Build Cache", "TotalCount": str(len(found.cache)), "Active": "0",
         "Size": human_size(cache), "Reclaimable": human_size(cache)},
    ]


def _verbose_object(engine: Any) -> dict[str, Any]:
    """Docker's /system/df shape (its field names), for --format."""
    from hullbox.cli.containers import _state, _status
    from hullbox.engine.prune_filters import rfc3339_seconds
    from hullbox.engine.system_usage import usage
    from hullbox.oci import reference

    found = usage(engine)
    images = []
    for item in found.images:
        for name in item.record.tags or ("<none>:<none>",):
            repo, tag = ("<none>", "<none>") if name.startswith("<none>") else (
                reference.parse(name).familiar_name, reference.parse(name).tag or "<none>")
            images.append({"Repository": repo, "Tag": tag, "ID": item.record.id,
                           "CreatedSince": ago(rfc3339_seconds(item.record.created)
                                               or item.record.added),
                           "Size": item.record.size, "SharedSize": item.shared,
                           "UniqueSize": item.unique, "Containers": item.containers})
    containers = [{"ID": c.record.id, "Image": c.record.image_name,
                   "Command": " ".join(c.record.command), "LocalVolumes": c.volumes,
                   "Size": c.size, "RunningFor": ago(c.record.created),
                   "Status": _status(c.record), "State": _state(c.record),
                   "Names": c.record.name} for c in found.containers]
    volumes = [{"Name": v.name, "Links": v.links, "Size": v.size} for v in found.volumes]
    cache = [{"ID": e.chain_id.removeprefix("sha256:"), "CacheType": "regular", "Size": e.size,
              "CreatedSince": e.created, "Shared": False} for e in found.cache]
    return {"Images": images, "Containers": containers, "Volumes": volumes,
            "BuildCache": cache}


def print_verbose(engine: Any, fmt: str | None) -> None:
    """``system df -v``."""
    from hullbox.cli.containers import _command_column

    data = _verbose_object(engine)
    if fmt:
        click.echo(json.dumps(data) if fmt.strip() in ("json", "{{json .}}")
                   else render_template(fmt, data))
        return
    click.echo("Images space usage:\n")
    print_table(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE",
                 "UNIQUE SIZE", "CONTAINERS"],
                [[i["Repository"], i["Tag"], i["ID"].removeprefix("sha256:")[:12],
                  i["CreatedSince"], human_size(i["Size"]), human_size(i["SharedSize"]),
                  human_size(i["UniqueSize"]), str(i["Containers"])] for i in data["Images"]])
    click.echo("\nContainers space usage:\n")
    print_table(["CONTAINER ID", "IMAGE", "COMMAND", "LOCAL VOLUMES", "SIZE", "CREATED",
                 "STATUS", "NAMES"],
                [[c["ID"][:12], c["Image"], _command_column(c["Command"].split(" "), False),
                  str(c["LocalVolumes"]), human_size(c["Size"]), c["RunningFor"], c["Status"],
                  c["Names"]] for c in data["Containers"]])
    click.echo("\nLocal Volumes space usage:\n")
    print_table(["VOLUME NAME", "LINKS", "SIZE"],
                [[v["Name"], str(v["Links"]), human_size(v["Size"])] for v in data["Volumes"]])
    total = sum(e["Size"] for e in data["BuildCache"])
    click.echo(f"\nBuild cache usage: {human_size(total)}\n")
    print_table(["CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "LAST USED", "USAGE", "SHARED"],
                [[e["ID"][:12], e["CacheType"], human_size(e["Size"]), e["CreatedSince"],
                  e["CreatedSince"], "1", "false"] for e in data["BuildCache"]])
