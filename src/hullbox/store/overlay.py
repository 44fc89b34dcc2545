"""An overlay mount's directories kept together under one base: the merged
view (``rootfs``), the writable ``upper`` dir and the kernel's ``work`` dir.
A container's directory and a build step's workspace are laid out so."""

from __future__ import annotations

from pathlib import Path


class OverlayDirs:
    """``rootfs``, ``upper`` and ``work`` under ``self.base``."""

    base: Path

    @property
    def rootfs(self) -> Path:
        return self.base / "rootfs"

    @property
    def upper(self) -> Path:
        return self.base / "upper"

    @property
    def work(self) -> Path:
        return self.base / "work"

    def overlay_options(self, lowers: list[str]) -> str:
        """The mount options of a writable overlay of ``lowers`` (top first)."""
        return f"lowerdir={':'.join(lowers)},upperdir={self.upper},workdir={self.work}"
