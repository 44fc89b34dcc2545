"""The image ``run``/``create`` start from, as ``--pull`` and ``--platform``
say: pulled when the policy asks (progress on stderr, none with -q), else
the local one, which must be of the platform asked for.

Without --pull, a missing image is pulled, as Docker's default
``--pull missing`` does; when that pull fails too, one line says the image
is not here and why it could not be pulled."""

from __future__ import annotations

import sys
from typing import Any

import click

from hullbox.errors import HullboxError, ImageNotFound, InvalidArgument


def _local(obj: Any, image: str) -> Any:
    try:
        return obj.engine.images.get(image)
    except ImageNotFound:
        return None


def _platform_of(local: Any) -> str:
    config = local.config
    text = f"{config.os}/{config.architecture}"
    return f"{text}/{config.variant}" if config.variant else text


def _matches(local: Any, platform: str) -> bool:
    from hullbox.registry.platform import parse_platform

    return parse_platform(platform).matches({
        "os": local.config.os, "architecture": local.config.architecture,
        "variant": local.config.variant})


class _StderrLines:
    """Pull progress for run/create: one line per layer outcome, on stderr,
    so that stdout is the container's (or the ID) alone. The heading waits
    for the first layer (or the end), so that a pull refused at once (no such
    platform, no such tag) is one line, the error's."""

    def __init__(self, heading: list[str]) -> None:
        self.heading = heading

    def flush_heading(self) -> None:
        for line in self.heading:
            click.echo(line, err=True)
        self.heading = []

    def __call__(self, event: Any) -> None:
        from hullbox.cli.registry_progress import _PROGRESS_ONLY, short_id

        self.flush_heading()
        if event.status not in _PROGRESS_ONLY:
            click.echo(f"{short_id(event.digest)}: {event.status}", err=True)


def _pull(obj: Any, image: str, platform: str | None, quiet: bool, missing: bool,
          insecure: bool) -> None:
    from hullbox.oci.reference import parse

    ref = parse(image)
    lines = _StderrLines([f"Unable to find image '{image}' locally"] if missing else [])
    lines.heading.append(f"{ref.tag or ref.digest}: Pulling from {ref.path}")
    result = obj.engine.distribution.pull(image, platform=platform, insecure=insecure,
                                          listener=None if quiet else lines)
    if quiet:
        return
    lines.flush_heading()
    familiar = parse(result.reference).familiar
    click.echo(f"Digest: {result.digest}", err=True)
    click.echo(f"Status: Downloaded newer image for {familiar}" if result.downloaded
               else f"Status: Image is up to date for {familiar}", err=True)


def ensure_image(obj: Any, image: str, params: dict[str, Any]) -> None:
    """Pull ``image`` if the policy says so; refuse a local image of another
    platform than --platform asks for."""
    from hullbox.cli.runflags.behaviour import platform_of

    policy = (params.get("pull_policy") or "").lower()
    platform = platform_of(params)
    local = _local(obj, image)
    if not policy and not platform:
        if local is None:
            _pull_missing(obj, image, params)
        return
    quiet = bool(params.get("quiet"))
    if local is None and policy == "never":
        raise ImageNotFound(f"image {image!r} not found locally and --pull never forbids "
                            f"pulling it; pull it with: hullbox pull {image}")
    wrong_platform = local is not None and platform and not _matches(local, platform)
    if policy in ("always", "newer") or (policy == "missing" and (local is None
                                                                  or wrong_platform)):
        try:
            _pull(obj, image, platform, quiet, missing=local is None,
                  insecure=not params.get("tls_verify", True))
        except HullboxError as exc:
            if policy != "newer" or local is None:
                raise
            # newer (podman's): the local image serves when the registry cannot
            click.echo(f"hullbox: warning: {exc}; using the local image", err=True)
        sys.stderr.flush()
        return
    if wrong_platform:
        raise InvalidArgument(
            f"image {image!r} is {_platform_of(local)}, not the {platform} asked for with "
            f"--platform; pull that one with --pull missing or: hullbox pull --platform "
            f"{platform} {image}")


def _pull_missing(obj: Any, image: str, params: dict[str, Any]) -> None:
    """Docker's implicit pull of a missing image, with its failure as the
    image being missing (the reason appended)."""
    try:
        _pull(obj, image, None, bool(params.get("quiet")), missing=True,
              insecure=not params.get("tls_verify", True))
    except HullboxError as exc:
        reason = str(exc).removeprefix("hullbox: ")
        raise ImageNotFound(f"image {image!r} not found locally, and pulling it failed: "
                            f"{reason}") from None
    sys.stderr.flush()
