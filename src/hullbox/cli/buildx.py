"""``hullbox buildx``: the verbs of docker's buildx plugin that mean something
without BuildKit builders. ``buildx build`` is ``hullbox build`` with
buildx's extra flags (``--push``, ``--load``, ``--metadata-file``...);
those that need a BuildKit builder are refused in one line. There is one
builder, ``default``, whose driver is hullbox itself."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import click

from hullbox.cli.build import build, builder_prune
from hullbox.cli.buildx_builders import check_builder, du, inspect, ls, use, version
from hullbox.cli.buildx_imagetools import imagetools
from hullbox.cli.docker_bools import DockerBoolCommand
from hullbox.errors import InvalidArgument, Unsupported
from hullbox.store.atomic import write_atomic


def _refused(flag: str, why: str) -> Unsupported:
    return Unsupported(f"buildx build {flag}: {why}; hullbox builds with its own builder "
                       "(no BuildKit), leave the flag out")


def _attestation(flag: str, value: str | None) -> None:
    """``--provenance=false`` / ``--sbom=false`` ask for none: fine."""
    if value is not None and value.strip().lower() not in ("false", "0", "no"):
        raise _refused(f"{flag}={value}", "attestations are made by BuildKit")


def _output(params: dict[str, Any]) -> bool:
    """Turn buildx's ``-o type=docker|registry`` into build's terms; True
    when the output asks for a push."""
    spec = params["output"]
    if not spec or "type=" not in spec:
        return False
    fields = dict(item.strip().partition("=")[::2] for item in spec.split(","))
    kind = fields.pop("type", "")
    if kind in ("local", "tar"):
        return False
    if kind in ("docker", "registry", "image") and not fields.get("dest"):
        push = kind == "registry" or str(fields.pop("push", "false")).lower() == "true"
        fields.pop("name", None)
        if fields:
            raise _refused(f"-o {spec}", f"the {', '.join(sorted(fields))} option(s) of "
                           f"type={kind} are BuildKit's")
        params["output"] = None
        return push
    raise _refused(f"-o {spec}", f"type={kind} is a BuildKit exporter (docker, registry, "
                   "local and tar work here)")


_EXTRA = [
    click.Option(["--builder"], envvar="BUILDX_BUILDER", default=None,
                 help="Override the configured builder instance (only \"default\")."),
    click.Option(["--load"], is_flag=True,
                 help="Shorthand for --output=type=docker (the default: the image goes to "
                      "the store)."),
    click.Option(["--push"], is_flag=True,
                 help="Shorthand for --output=type=registry: push each -t tag after the "
                      "build."),
    click.Option(["--metadata-file"], default=None, metavar="FILE",
                 help="Write build result metadata to a file (JSON, buildx's keys)."),
    click.Option(["--provenance"], default=None,
                 help="Only false: attestations need BuildKit."),
    click.Option(["--sbom"], default=None, help="Only false: attestations need BuildKit."),
    click.Option(["--attest"], multiple=True, help="Refused: attestations need BuildKit."),
    click.Option(["--cache-to"], multiple=True,
                 help="Refused: cache export needs a BuildKit builder (the build cache is "
                      "the store's)."),
    click.Option(["--annotation"], multiple=True,
                 help="Refused: image annotations are BuildKit's exporter option."),
    click.Option(["--build-context"], multiple=True,
                 help="Refused: named build contexts are BuildKit's."),
    click.Option(["--allow"], multiple=True,
                 help="network.host only (the same as --network host)."),
    click.Option(["--call"], default="build",
                 help="Only build: check, outline and targets are BuildKit frontend calls."),
    click.Option(["--check"], is_flag=True, help="Refused: the same as --call=check."),
    click.Option(["--no-cache-filter"], multiple=True,
                 help="Refused: per-stage cache control is BuildKit's (use --no-cache)."),
]


def _refuse_buildkit_flags(extra: dict[str, Any], params: dict[str, Any]) -> None:
    check_builder(extra["builder"])
    _attestation("--provenance", extra["provenance"])
    _attestation("--sbom", extra["sbom"])
    for flag, why in (("attest", "attestations are made by BuildKit"),
                      ("cache_to", "cache export needs a BuildKit builder"),
                      ("annotation", "image annotations are a BuildKit exporter option"),
                      ("build_context", "named build contexts are BuildKit's"),
                      ("no_cache_filter", "per-stage cache control is BuildKit's")):
        if extra[flag]:
            raise _refused(f"--{flag.replace('_', '-')}", why)
    if extra["check"] or extra["call"] not in ("", "build"):
        raise _refused(f"--call {'check' if extra['check'] else extra['call']}",
                       "check, outline and targets are BuildKit frontend calls")
    for entitlement in extra["allow"]:
        if entitlement != "network.host":
            raise _refused(f"--allow {entitlement}", "only network.host is granted here")
        params["network"] = "host"


def _buildx_build(**params: Any) -> None:
    """Start a build (``hullbox build`` with buildx's flags)."""
    from hullbox.cli.registry import push as push_command

    ctx = click.get_current_context()
    extra = {p.name: params.pop(p.name) for p in _EXTRA if p.name is not None}
    _refuse_buildkit_flags(extra, params)
    push = _output(params) or extra["push"]
    if params["output"] and (push or extra["load"]):
        raise InvalidArgument(f"-o {params['output']}: with --load or --push the image goes "
                              "to the store; write a filesystem (-o) or make an image, not both")
    if push and not params["tags"]:
        raise InvalidArgument("--push: tag is needed when pushing to registry (-t NAME)")
    with tempfile.TemporaryDirectory(prefix="hullbox-buildx-") as scratch:
        wanted_id = extra["metadata_file"] and not params["output"] and not params["iidfile"]
        if wanted_id:
            params["iidfile"] = str(Path(scratch) / "iid")
        ctx.invoke(build, **params)
        image_id = Path(params["iidfile"]).read_text() if params["iidfile"] else ""
    for tag in params["tags"] if push else ():
        ctx.invoke(push_command, name=tag, all_tags=False, platform=None,
                   quiet=params["quiet"], insecure=False, disable_content_trust=True)
    if extra["metadata_file"]:
        _write_metadata(ctx.obj, Path(extra["metadata_file"]), image_id, params["tags"])


def _write_metadata(obj: Any, path: Path, image_id: str, tags: tuple[str, ...]) -> None:
    """buildx's metadata keys for an image build (nothing for -o)."""
    data: dict[str, Any] = {}
    if image_id:
        record = obj.engine.images.get(image_id).record
        data = {"containerimage.config.digest": image_id,
                "containerimage.digest": record.manifest_digest}
        if tags:
            from hullbox.oci.reference import parse

            data["image.name"] = ",".join(str(parse(t)) for t in tags)
    write_atomic(path, json.dumps(data, indent=2).encode(), 0o644)


buildx_build = DockerBoolCommand(
    "build", params=[*build.params, *_EXTRA],
    callback=_buildx_build, help="Start a build (hullbox build, with buildx's flags).")


@click.group(name="buildx")
def buildx() -> None:
    """Build with hullbox's builder, as docker buildx (one builder: default)."""


for _command in (buildx_build, ls, inspect, use, du, builder_prune, version, imagetools):
    buildx.add_command(_command)


def register(cli: click.Group) -> None:
    """``buildx``."""
    cli.add_command(buildx)
