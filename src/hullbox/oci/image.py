"""OCI image config, manifest and descriptor models (pure data, no I/O).

JSON field spelling (``Env``, ``mediaType``, ``diff_ids``) lives only here: the
rest of hullbox sees snake_case attributes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar"
MEDIA_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def canonical_json(obj: Any) -> bytes:
    """The bytes hullbox writes for a JSON blob: stable, so equal content means
    an equal digest."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


@dataclass
class Descriptor:
    """A content descriptor: what a blob is, its digest and its size."""

    media_type: str
    digest: str
    size: int
    annotations: dict[str, str] = field(default_factory=dict)
    platform: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.platform:
            out["platform"] = dict(self.platform)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Descriptor:
        return cls(
            media_type=data.get("mediaType", ""),
            digest=data["digest"],
            size=int(data["size"]),
            annotations=dict(data.get("annotations") or {}),
            platform=data.get("platform"),
        )


@dataclass
class ContainerConfig:
    """The ``config`` object of an image config: how to run the image."""

    user: str = ""
    env: list[str] = field(default_factory=list)
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    working_dir: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    exposed_ports: dict[str, Any] = field(default_factory=dict)
    volumes: dict[str, Any] = field(default_factory=dict)
    stop_signal: str = ""
    healthcheck: dict[str, Any] | None = None
    shell: list[str] | None = None
    on_build: list[str] | None = None

    _FIELDS = (
        ("user", "User"),
        ("env", "Env"),
        ("entrypoint", "Entrypoint"),
        ("cmd", "Cmd"),
        ("working_dir", "WorkingDir"),
        ("labels", "Labels"),
        ("exposed_ports", "ExposedPorts"),
        ("volumes", "Volumes"),
        ("stop_signal", "StopSignal"),
        ("healthcheck", "Healthcheck"),
        ("shell", "Shell"),
        ("on_build", "OnBuild"),
    )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for attr, key in self._FIELDS:
            value = getattr(self, attr)
            if value:  # the spec's "omitempty": absent rather than empty
                out[key] = value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> ContainerConfig:
        data = data or {}
        kwargs = {attr: data[key] for attr, key in cls._FIELDS if data.get(key) is not None}
        return cls(**kwargs)


@dataclass
class ImageConfig:
    """An OCI image configuration (image-spec config.md)."""

    architecture: str = "amd64"
    os: str = "linux"
    created: str = ""
    author: str = ""
    config: ContainerConfig = field(default_factory=ContainerConfig)
    diff_ids: list[str] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    variant: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "architecture": self.architecture,
            "os": self.os,
            "config": self.config.to_json(),
            "rootfs": {"type": "layers", "diff_ids": list(self.diff_ids)},
        }
        if self.created:
            out["created"] = self.created
        if self.author:
            out["author"] = self.author
        if self.history:
            out["history"] = list(self.history)
        if self.variant:
            out["variant"] = self.variant
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImageConfig:
        rootfs = data.get("rootfs") or {}
        return cls(
            architecture=data.get("architecture", ""),
            os=data.get("os", ""),
            created=data.get("created", ""),
            author=data.get("author", ""),
            config=ContainerConfig.from_json(data.get("config")),
            diff_ids=list(rootfs.get("diff_ids") or []),
            history=list(data.get("history") or []),
            variant=data.get("variant", ""),
        )


@dataclass
class Manifest:
    """An OCI image manifest: one config and an ordered list of layers."""

    config: Descriptor
    layers: list[Descriptor]
    media_type: str = MEDIA_MANIFEST
    annotations: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": self.media_type,
            "config": self.config.to_json(),
            "layers": [layer.to_json() for layer in self.layers],
        }
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        return cls(
            config=Descriptor.from_json(data["config"]),
            layers=[Descriptor.from_json(layer) for layer in data.get("layers", [])],
            media_type=data.get("mediaType", MEDIA_MANIFEST),
            annotations=dict(data.get("annotations") or {}),
        )
