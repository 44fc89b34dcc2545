"""The health check: --health-* flags, or the image's HEALTHCHECK (issue 3)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class HealthSettings:
    """Stored with the container (inside ContainerOptions) so `start` repeats it."""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> HealthSettings:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)
