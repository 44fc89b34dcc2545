"""``--platform`` on the verbs that take a stored image (push, rmi, save,
history, load, import).

A hullbox image is one platform's image (a pull through an index keeps the
one it chose), so ``--platform`` on a stored image is a check: the image is
that platform's, or the command stops before doing anything, in one line,
as Docker's containerd store answers for a platform it does not hold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hullbox.errors import ImageNotFound
from hullbox.oci.image import ImageConfig

if TYPE_CHECKING:
    from hullbox.engine.images import ImageService
    from hullbox.registry.platform import Platform


def image_platform(config: ImageConfig) -> str:
    """``linux/amd64`` (``/variant`` when the config has one)."""
    parts = [config.os or "unknown", config.architecture or "unknown", config.variant]
    return "/".join(p for p in parts if p)


def matches(config: ImageConfig, wanted: Platform) -> bool:
    return wanted.matches({"os": config.os, "architecture": config.architecture,
                           "variant": config.variant})


def require_platform(images: ImageService, name: str, platform: str | None) -> None:
    """Nothing when ``platform`` is None or the image ``name`` is of it;
    else ImageNotFound naming what the image is."""
    if platform is None:
        return
    from hullbox.registry.platform import parse_platform

    wanted = parse_platform(platform)
    config = images.get(name).config
    if not matches(config, wanted):
        raise ImageNotFound(
            f"image {name} was found but does not match the specified platform: wanted "
            f"{wanted}, actual: {image_platform(config)}; drop --platform or pull that "
            f"platform with: hullbox pull --platform {wanted} NAME")


def import_platform(platform: str | None) -> tuple[str, ...]:
    """The (os, architecture, variant) ``import --platform`` records in the
    config; linux/amd64 when none is given."""
    from hullbox.registry.platform import parse_platform

    wanted = parse_platform(platform)
    return wanted.os, wanted.architecture, wanted.variant
