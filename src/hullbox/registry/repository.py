"""Manifest and blob requests on one repository of a registry."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from hullbox.oci.image import (
    DOCKER_MANIFEST,
    DOCKER_MANIFEST_LIST,
    MEDIA_INDEX,
    MEDIA_MANIFEST,
)
from hullbox.registry.client import Body, RegistryClient, error_text
from hullbox.registry.errors import DigestMismatch, ManifestNotFound, RegistryError

MANIFEST_ACCEPT = ", ".join([MEDIA_INDEX, MEDIA_MANIFEST, DOCKER_MANIFEST_LIST, DOCKER_MANIFEST])
INDEX_TYPES = frozenset({MEDIA_INDEX, DOCKER_MANIFEST_LIST})
IMAGE_TYPES = frozenset({MEDIA_MANIFEST, DOCKER_MANIFEST})


@dataclass(frozen=True)
class FetchedManifest:
    """A manifest's bytes as the registry sent them, their digest and type."""

    data: bytes
    digest: str
    media_type: str


class Repository:
    """``/v2/<name>/...`` of one registry; ``name`` is the path in the
    reference (``library/busybox``)."""

    def __init__(self, client: RegistryClient, name: str, *, push: bool = False) -> None:
        self.client = client
        self.name = name
        self.scopes: tuple[str, ...] = (f"repository:{name}:{'pull,push' if push else 'pull'}",)

    def _request(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        return self.client.request(method, path, scopes=self.scopes, **kwargs)  # type: ignore[arg-type]

    # -- manifests ---------------------------------------------------------
    def get_manifest(self, reference: str, *, what: str) -> FetchedManifest:
        """The manifest of a tag or digest. By digest the bytes must hash to it;
        by tag to the registry's Docker-Content-Digest when it sends one."""
        response = self._request(
            "GET", f"/v2/{self.name}/manifests/{reference}", headers={"Accept": MANIFEST_ACCEPT}
        )
        if response.status_code == 404:
            raise ManifestNotFound(
                f"manifest for {what} not found: no such tag or digest in "
                f"{self.client.registry}/{self.name}; check the name and tag"
            )
        if response.status_code >= 400:
            raise RegistryError(f"get manifest for {what}: {error_text(response)}")
        data = response.content
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        expected = reference if reference.startswith("sha256:") else (
            response.headers.get("docker-content-digest", "").strip() or digest
        )
        if digest != expected:
            raise DigestMismatch(
                f"manifest for {what} from {self.client.registry} has digest {digest}, "
                f"not {expected}: refusing it (the registry or a proxy altered it)"
            )
        media_type = response.headers.get("content-type", "").split(";", 1)[0].strip()
        return FetchedManifest(data, digest, media_type)

    def put_manifest(self, reference: str, data: bytes, media_type: str) -> str:
        """Upload a manifest under a tag or digest; returns its digest."""
        response = self._request(
            "PUT", f"/v2/{self.name}/manifests/{reference}",
            headers={"Content-Type": media_type}, body=data,
        )
        if response.status_code not in (200, 201, 202):
            raise RegistryError(
                f"push manifest {self.name}:{reference} to {self.client.registry}: "
                f"{error_text(response)}"
            )
        return "sha256:" + hashlib.sha256(data).hexdigest()

    def tags(self) -> list[str]:
        """Every tag of the repository (``/tags/list``, following the Link
        header of a registry that pages it)."""
        path = f"/v2/{self.name}/tags/list"
        found: list[str] = []
        while path:
            response = self._request("GET", path)
            if response.status_code == 404:
                raise ManifestNotFound(
                    f"repository {self.client.registry}/{self.name} not found; "
                    "check the name")
            if response.status_code >= 400:
                raise RegistryError(f"list tags of {self.name}: {error_text(response)}")
            try:
                found.extend(str(t) for t in response.json().get("tags") or [])
            except ValueError as exc:
                raise RegistryError(f"list tags of {self.name}: the registry sent no "
                                    "JSON") from exc
            path = _next_link(response.headers.get("link", ""))
        return found

    # -- blobs -------------------------------------------------------------
    def has_blob(self, digest: str) -> bool:
        response = self._request("HEAD", f"/v2/{self.name}/blobs/{digest}")
        if response.status_code == 404:
            return False
        if response.status_code >= 400:
            raise RegistryError(f"check blob {digest[:19]}: {error_text(response)}")
        return True

    def open_blob(self, digest: str, offset: int = 0) -> httpx.Response:
        """A streamed GET of a blob from ``offset`` (HTTP Range when > 0); the
        caller closes it and checks whether the registry honoured the range
        (206) or sent everything (200)."""
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        response = self._request(
            "GET", f"/v2/{self.name}/blobs/{digest}", headers=headers, stream=True
        )
        if response.status_code == 416 and offset:
            response.close()  # the partial file is already whole (or bogus)
            return self.open_blob(digest, 0)
        if response.status_code >= 400:
            response.read()
            response.close()
            raise RegistryError(
                f"download blob {digest[:19]} of {self.name}: {error_text(response)}"
            )
        return response

    def mount_blob(self, digest: str, source: str) -> bool:
        """Cross-repository mount from ``source`` on the same registry; True
        when the registry linked it (201), False when an upload is needed."""
        client, scopes = self.client, (*self.scopes, f"repository:{source}:pull")
        response = client.request(
            "POST", f"/v2/{self.name}/blobs/uploads/", scopes=scopes,
            params={"mount": digest, "from": source},
        )
        response.close()
        return response.status_code == 201

    def upload_blob(self, digest: str, size: int, chunks: Body, *,
                    chunk_size: int | None = None) -> None:
        """POST an upload session, then one PUT with the body (monolithic), or
        PATCH ``chunk_size`` pieces and a closing PUT (chunked)."""
        start = self._request("POST", f"/v2/{self.name}/blobs/uploads/")
        if start.status_code != 202:
            raise RegistryError(
                f"start upload of {digest[:19]} to {self.client.registry}/{self.name}: "
                f"{error_text(start)}"
            )
        location = self._location(start)
        headers = {"Content-Type": "application/octet-stream"}
        if chunk_size:
            assert callable(chunks)
            location = self._patch_chunks(location, chunks(), chunk_size, digest)
            body: Body = b""
        else:
            body = chunks
            # A length, not chunked transfer encoding: some registries and
            # proxies refuse a PUT body of unknown size.
            headers["Content-Length"] = str(size)
        # The Location carries the registry's upload state in its query:
        # add to it (httpx's params= would replace it).
        url = str(httpx.URL(location).copy_add_param("digest", digest))
        done = self._request("PUT", url, body=body, headers=headers)
        if done.status_code != 201:
            raise RegistryError(
                f"upload blob {digest[:19]} to {self.client.registry}/{self.name}: "
                f"{error_text(done)}"
            )

    def _patch_chunks(self, location: str, data: Iterable[bytes], chunk_size: int,
                      digest: str) -> str:
        offset = 0
        for piece in _rechunk(data, chunk_size):
            end = offset + len(piece) - 1
            response = self._request(
                "PATCH", location, body=piece,
                headers={"Content-Type": "application/octet-stream",
                         "Content-Range": f"{offset}-{end}"},
            )
            if response.status_code != 202:
                raise RegistryError(
                    f"upload chunk of {digest[:19]} at {offset}: {error_text(response)}"
                )
            location = self._location(response)
            offset = end + 1
        return location

    def _location(self, response: httpx.Response) -> str:
        location = response.headers.get("location")
        if not location:
            raise RegistryError(f"{self.client.registry} started an upload without a Location")
        # Relative Locations are relative to the registry.
        return str(response.request.url.join(location))


def _rechunk(data: Iterable[bytes], size: int) -> Iterable[bytes]:
    buffer = bytearray()
    for piece in data:
        buffer += piece
        while len(buffer) >= size:
            yield bytes(buffer[:size])
            del buffer[:size]
    if buffer:
        yield bytes(buffer)


def _next_link(header: str) -> str:
    """The target of ``Link: </v2/...?last=x&n=100>; rel="next"``, or ''."""
    for part in header.split(","):
        target, _, params = part.partition(";")
        if 'rel="next"' in params.replace(" ", ""):
            return target.strip().strip("<>")
    return ""
