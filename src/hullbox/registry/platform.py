"""Platform strings (``linux/arm64/v8``) and choosing one manifest of an index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hullbox.errors import InvalidArgument

# containerd's normalisation: an index may omit the variant a CPU implies.
_DEFAULT_VARIANTS = {"arm64": "v8", "arm": "v7"}
_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64"}


@dataclass(frozen=True)
class Platform:
    """An os/architecture[/variant] triple as the image-spec spells it."""

    os: str = "linux"
    architecture: str = "amd64"
    variant: str = ""

    def __str__(self) -> str:
        out = f"{self.os}/{self.architecture}"
        return f"{out}/{self.variant}" if self.variant else out

    def matches(self, other: dict[str, Any] | None) -> bool:
        """True when an index entry's ``platform`` object is this platform."""
        if not other:
            return False
        arch = _ARCH_ALIASES.get(other.get("architecture", ""), other.get("architecture", ""))
        if other.get("os") != self.os or arch != self.architecture:
            return False
        if not self.variant:
            return True
        default = _DEFAULT_VARIANTS.get(arch, "")
        return (other.get("variant") or default) == self.variant


def parse_platform(text: str | None) -> Platform:
    """``os/arch[/variant]``; None means linux/amd64, Docker's default here."""
    if not text:
        return Platform()
    parts = text.strip().split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise InvalidArgument(
            f"invalid platform {text!r}: expected os/arch[/variant], e.g. linux/arm64"
        )
    arch = _ARCH_ALIASES.get(parts[1].lower(), parts[1].lower())
    return Platform(parts[0].lower(), arch, parts[2].lower() if len(parts) == 3 else "")


def select_manifest(index: dict[str, Any], wanted: Platform) -> dict[str, Any] | None:
    """The index entry for ``wanted``; with no variant asked, an entry without a
    variant (or with the architecture's default one) wins over the others."""
    candidates: list[dict[str, Any]] = [
        m for m in index.get("manifests") or [] if wanted.matches(m.get("platform"))
    ]
    if not candidates:
        return None
    if wanted.variant:
        return candidates[0]

    def rank(entry: dict[str, Any]) -> int:
        platform = entry.get("platform") or {}
        variant = platform.get("variant") or ""
        return 0 if variant in ("", _DEFAULT_VARIANTS.get(wanted.architecture, "")) else 1

    return min(candidates, key=rank)


def available(index: dict[str, Any]) -> list[str]:
    """The platforms an index offers, for an error message."""
    out = []
    for entry in index.get("manifests") or []:
        platform = entry.get("platform") or {}
        if platform.get("os") and platform.get("architecture"):
            text = f"{platform['os']}/{platform['architecture']}"
            if platform.get("variant"):
                text += "/" + platform["variant"]
            out.append(text)
    return out
