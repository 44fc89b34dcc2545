"""Image verbs: import, images, tag, rmi, image inspect (save and load are in
cli/archives.py)."""

from __future__ import annotations

from typing import Any

import click

from hullbox.cli.format import ago, print_formatted, print_table
from hullbox.cli.targets import each, inspect_each


@click.command(name="import")
@click.option("-c", "--change", multiple=True, help="Apply a Dockerfile instruction.")
@click.option("-m", "--message", default="", help="Commit message for the image.")
@click.option("--platform", default=None, metavar="OS/ARCH[/VARIANT]",
              help="The platform the image's config names (default linux/amd64).")
@click.argument("source")
@click.argument("reference", required=False)
@click.pass_obj
def import_(obj: Any, change: tuple[str, ...], message: str, platform: str | None,
            source: str, reference: str | None) -> None:
    """Make an image from a root filesystem tarball (.tar, .tar.gz, - for stdin)."""
    record = obj.engine.images.import_(source, reference, changes=list(change),
                                       message=message, platform=platform)
    click.echo(record.id)


def _split_tag(name: str) -> tuple[str, str]:
    from hullbox.oci.reference import parse

    ref = parse(name)
    return ref.familiar_name, ref.tag or "<none>"


def _image_rows(records: list[Any]) -> list[dict[str, Any]]:
    from hullbox.cli.gotemplate import go_time
    from hullbox.engine.units import human_size

    rows: list[dict[str, Any]] = []
    for record in records:
        names = [_split_tag(t) for t in record.tags] or [("<none>", "<none>")]
        created = _created_timestamp(record.created)
        for repository, tag in names:
            rows.append({
                "Repository": repository,
                "Tag": tag,
                "ID": record.id,
                "FullID": record.id,
                "ShortID": record.short_id,
                "CreatedSince": ago(created) if created else "N/A",
                "CreatedAt": go_time(created),
                "Size": human_size(record.size),
                # what docker's row has when the daemon did not count them
                "Containers": "N/A", "SharedSize": "N/A", "UniqueSize": "N/A",
                "VirtualSize": human_size(record.size),
            })
    return rows


def _created_timestamp(created: str) -> float:
    import datetime

    try:
        return datetime.datetime.fromisoformat(created.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


@click.command()
@click.option("-a", "--all", "show_all", is_flag=True,
              help="Show all images (hullbox keeps no intermediate images: the same list).")
@click.option("-q", "--quiet", is_flag=True, help="Only image IDs.")
@click.option("--no-trunc", is_flag=True, help="Full image IDs.")
@click.option("--digests", is_flag=True, help="Show the digests registries know them by.")
@click.option("-f", "--filter", "filters", multiple=True, metavar="KEY=VALUE",
              help="dangling=, reference=, label=, before=, since=.")
@click.option("--format", "fmt", help="Go template, or json / table.")
@click.option("--tree", is_flag=True, help="Each image with the platform it holds under it.")
@click.argument("repository", required=False)
@click.pass_obj
def images(obj: Any, show_all: bool, quiet: bool, no_trunc: bool, digests: bool,
           filters: tuple[str, ...], fmt: str | None, tree: bool,
           repository: str | None) -> None:
    """List images."""
    from hullbox.engine.image_filters import parse_image_filters

    records = obj.engine.images.list(parse_image_filters(filters))
    if tree:
        from hullbox.cli.image_tree import print_tree

        if quiet or fmt or digests:
            raise click.UsageError("--tree cannot be combined with -q, --format or --digests")
        print_tree(obj, [r for r in records if not repository or any(
            _split_tag(t)[0] == repository for t in r.tags)])
        return
    rows = _image_rows(records)
    if repository:
        rows = [r for r in rows if r["Repository"] == repository
                or f"{r['Repository']}:{r['Tag']}" == repository]
    for row in rows:
        row["ID"] = row["ID"] if no_trunc else row["ShortID"]
        row["Digest"] = _digest_for(obj, row)
    if quiet:
        seen: set[str] = set()
        for row in rows:
            if row["ID"] not in seen:
                seen.add(row["ID"])
                click.echo(row["ID"])
        return
    listed = [{k: v for k, v in row.items() if k not in ("ShortID", "FullID")} for row in rows]
    if print_formatted(listed, fmt, {"ID": "IMAGE ID", "CreatedSince": "CREATED",
                                     "CreatedAt": "CREATED AT", "VirtualSize": "SIZE",
                                     "SharedSize": "SHARED SIZE",
                                     "UniqueSize": "UNIQUE SIZE"}):
        return
    if digests:
        print_table(["REPOSITORY", "TAG", "DIGEST", "IMAGE ID", "CREATED", "SIZE"],
                    [[r["Repository"], r["Tag"], r["Digest"], r["ID"], r["CreatedSince"],
                      r["Size"]] for r in rows])
        return
    print_table(["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"],
                [[r["Repository"], r["Tag"], r["ID"], r["CreatedSince"], r["Size"]]
                 for r in rows])


def _digest_for(obj: Any, row: dict[str, Any]) -> str:
    """The digest of the row's repository, as ``images --digests`` shows it."""
    for name_at_digest in obj.engine.images.repo_digests(row["FullID"]):
        name, _, digest = name_at_digest.partition("@")
        if name == row["Repository"]:
            return str(digest)
    return "<none>"


@click.command()
@click.option("-H", "--human/--no-human", default=True, help="Sizes and dates for humans.")
@click.option("--no-trunc", is_flag=True, help="Do not truncate the output.")
@click.option("-q", "--quiet", is_flag=True, help="Only image IDs.")
@click.option("--format", "fmt", help="Go template, or json / table.")
@click.option("--platform", default=None, metavar="OS/ARCH[/VARIANT]",
              help="The image must be of this platform (one image is one platform here).")
@click.argument("name")
@click.pass_obj
def history(obj: Any, human: bool, no_trunc: bool, quiet: bool, fmt: str | None,
            platform: str | None, name: str) -> None:
    """Show the history of an image."""
    from hullbox.cli.gotemplate import go_rfc3339
    from hullbox.engine.image_platform import require_platform
    from hullbox.engine.image_usage import history as image_history
    from hullbox.engine.units import human_size

    require_platform(obj.engine.images, name, platform)
    entries = image_history(obj.engine.images, name)
    rows = []
    for entry in entries:
        short = entry.image_id if no_trunc or entry.image_id == "<missing>" else (
            entry.image_id.removeprefix("sha256:")[:12])
        created_by = entry.created_by if no_trunc or len(entry.created_by) <= 45 else (
            entry.created_by[:44] + "…")
        created = _created_timestamp(entry.created)
        # docker history: RFC 3339 to the second, in local time
        stamp = go_rfc3339(created) if created else entry.created
        rows.append({
            "ID": short,
            "CreatedSince": (ago(created) if created else "N/A") if human else stamp,
            "CreatedAt": stamp,
            "CreatedBy": created_by,
            "Size": human_size(entry.size) if human else str(entry.size),
            "Comment": entry.comment,
        })
    if quiet:
        for row in rows:
            click.echo(row["ID"])
        return
    if print_formatted(rows, fmt, {"ID": "IMAGE", "CreatedSince": "CREATED",
                                   "CreatedBy": "CREATED BY"}):
        return
    print_table(["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"],
                [[r["ID"], r["CreatedSince"], r["CreatedBy"], r["Size"], r["Comment"]]
                 for r in rows])


@click.command()
@click.option("-a", "--all", "all_unused", is_flag=True,
              help="Remove every image no container uses, not only dangling ones.")
@click.option("-f", "--force", is_flag=True, help="Do not ask for confirmation.")
@click.option("--filter", "filters", multiple=True, metavar="KEY=VALUE",
              help="until=DURATION|TIME (created before), label=K[=V], label!=K[=V].")
@click.pass_obj
def prune(obj: Any, all_unused: bool, force: bool, filters: tuple[str, ...]) -> None:
    """Remove unused images."""
    from hullbox.engine.image_usage import prune_images
    from hullbox.engine.prune_filters import prune_matcher, rfc3339_seconds
    from hullbox.engine.units import human_size

    service = obj.engine.images

    def created(record: Any) -> float:
        return rfc3339_seconds(record.created)

    def labels(record: Any) -> dict[str, str]:
        return dict(service.get(record.id).config.config.labels or {})

    selected = prune_matcher(filters, created, labels)

    if not force:
        what = ("all images without at least one container associated to them"
                if all_unused else "all dangling images")
        click.echo(f"WARNING! This will remove {what}.")
        if not click.confirm("Are you sure you want to continue?", default=False):
            return
    report = prune_images(obj.engine.images, all_unused=all_unused,
                          selected=selected if filters else None)
    if report.deleted:
        click.echo("Deleted Images:")
        for name in report.untagged:
            click.echo(f"untagged: {name}")
        for image_id in report.deleted:
            click.echo(f"deleted: {image_id}")
        click.echo()
    click.echo(f"Total reclaimed space: {human_size(report.reclaimed)}")


@click.command()
@click.argument("source")
@click.argument("target")
@click.pass_obj
def tag(obj: Any, source: str, target: str) -> None:
    """Create a tag TARGET that refers to SOURCE."""
    obj.engine.images.tag(source, target)


@click.command()
@click.option("-f", "--force", is_flag=True, help="Remove even if in use or tagged twice.")
@click.option("--no-prune", is_flag=True,
              help="Keep untagged parent images (hullbox images have no parent images: "
                   "rmi never removes another image, with or without it).")
@click.option("--platform", default=None, metavar="OS/ARCH[/VARIANT]",
              help="The image must be of this platform (one image is one platform here).")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def rmi(obj: Any, force: bool, no_prune: bool, platform: str | None,
        names: tuple[str, ...]) -> int:
    """Remove images; goes on past a failure and exits 1 if any failed."""
    if platform is not None:  # a wrong platform is bad input: nothing is removed
        from hullbox.engine.image_platform import require_platform
        from hullbox.errors import NotFound

        for name in names:
            try:
                obj.engine.images.get(name)
            except NotFound:
                continue  # reported by the removal below, as without --platform
            require_platform(obj.engine.images, name, platform)

    def remove(name: str) -> None:
        for line in obj.engine.images.remove(name, force=force):
            click.echo(line)

    return 1 if each(names, remove) else 0


@click.command(name="inspect")
@click.option("-f", "--format", "fmt", help="Go template.")
@click.option("--platform", default=None, metavar="OS/ARCH[/VARIANT]",
              help="The image must be of this platform (one image is one platform here).")
@click.argument("names", nargs=-1, required=True)
@click.pass_obj
def image_inspect(obj: Any, fmt: str | None, platform: str | None,
                  names: tuple[str, ...]) -> int:
    """Low-level information on images, as JSON."""
    from hullbox.engine.image_platform import require_platform

    def inspect(name: str) -> Any:
        require_platform(obj.engine.images, name, platform)
        return obj.engine.images.inspect(name)

    return inspect_each(names, inspect, fmt)


def register(cli: click.Group) -> None:
    """Add the image verbs at top level and under ``hullbox image``."""
    group = click.Group("image", help="Manage images.")
    cli.add_command(import_)
    group.add_command(import_)
    cli.add_command(images)
    group.add_command(images, "ls")
    group.add_command(images, "list")
    cli.add_command(tag)
    group.add_command(tag)
    cli.add_command(rmi)
    group.add_command(rmi, "rm")
    group.add_command(image_inspect)
    group.add_command(history)
    cli.add_command(history)
    group.add_command(prune)
    from hullbox.cli import archives

    archives.register(cli, group)
    cli.add_command(group)
