"""Registry use cases: pull, push, login, logout (``Engine().distribution``).

The registry package (and httpx with it) is imported inside each method, never
at module level: ``hullbox run`` builds an Engine and must not pay for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hullbox.engine import events
from hullbox.errors import ImageNotFound, InvalidArgument
from hullbox.oci import reference
from hullbox.store import images as image_db

if TYPE_CHECKING:
    from hullbox.engine.images import ImageService
    from hullbox.registry.pull import LayerEvent, PullResult
    from hullbox.registry.push import BlobEvent, PushResult
    from hullbox.store.store import Store


@dataclass(frozen=True)
class LoginResult:
    """Where credentials were saved."""

    registry: str
    config_path: Path


class DistributionService:
    """Moving images between the store and registries."""

    def __init__(self, store: Store, images: ImageService) -> None:
        self.store = store
        self.images = images

    def pull(
        self,
        ref: str,
        *,
        platform: str | None = None,
        insecure: bool = False,
        listener: Callable[[LayerEvent], None] | None = None,
    ) -> PullResult:
        """``docker pull``: fetch ``ref`` for ``platform`` (linux/amd64 by
        default) and tag it locally by its normalised reference."""
        from hullbox.registry.client import RegistryClient
        from hullbox.registry.platform import parse_platform
        from hullbox.registry.pull import pull_image
        from hullbox.registry.repository import Repository

        parsed = reference.parse(ref)
        wanted = parse_platform(platform)
        with RegistryClient(parsed.domain, insecure=insecure) as client:
            result = pull_image(self.store, Repository(client, parsed.path), parsed, wanted,
                                listener=listener, platform_given=platform is not None)
        image_db.add_repo_digest(self.store, parsed.name, result.digest, result.image.id)
        events.image(self.store, parsed.familiar, "pull", parsed.familiar_name)
        return result

    def registry_tags(self, ref: str, *, insecure: bool = False) -> list[str]:
        """``pull -a``: the references of every tag the registry has for the
        repository ``ref`` names (which must name no tag or digest)."""
        from hullbox.registry.client import RegistryClient
        from hullbox.registry.repository import Repository

        parsed = _whole_repository(ref, "pull")
        with RegistryClient(parsed.domain, insecure=insecure) as client:
            tags = Repository(client, parsed.path).tags()
        if not tags:
            raise InvalidArgument(f"pull -a: repository {parsed.familiar_name} has no tags")
        return [str(parsed.with_tag(tag)) for tag in sorted(tags)]

    def local_tags(self, ref: str) -> list[str]:
        """``push -a``: every local tag of the repository ``ref`` names."""
        parsed = _whole_repository(ref, "push")
        tags = sorted(t for record in image_db.list_images(self.store) for t in record.tags
                      if reference.parse(t).name == parsed.name)
        if not tags:
            raise ImageNotFound(f"push -a: no local image is tagged {parsed.familiar_name}; "
                                f"tag one with: hullbox tag IMAGE {parsed.familiar_name}:TAG")
        return tags

    def push(
        self,
        ref: str,
        *,
        insecure: bool = False,
        platform: str | None = None,
        chunk_size: int | None = None,
        listener: Callable[[BlobEvent], None] | None = None,
    ) -> PushResult:
        """``docker push``: upload the local image named ``ref`` to the
        registry and repository that name says. With ``platform`` the image
        must be of it and goes alone, never the index it came through."""
        from hullbox.engine.image_platform import require_platform
        from hullbox.registry.client import RegistryClient
        from hullbox.registry.multiarch import stored_index
        from hullbox.registry.push import push_image, push_index
        from hullbox.registry.repository import Repository

        parsed = reference.parse(ref)
        require_platform(self.images, ref, platform)
        image = self.images.get(ref)
        manifest_bytes = self.store.read_blob(image.record.manifest_digest)
        sources = [
            other.path for other in (reference.parse(t) for t in image.record.tags)
            if other.domain == parsed.domain and other.path != parsed.path
        ]
        index = None if platform else stored_index(self.store, image.id,
                                                   image.record.manifest_digest)
        with RegistryClient(parsed.domain, insecure=insecure) as client:
            repo = Repository(client, parsed.path, push=True)
            if index is not None and not index.missing:
                result = push_index(repo, parsed, index, self.store.read_blob,
                                    self.store.blob_path, mount_sources=sources,
                                    chunk_size=chunk_size, listener=listener)
            else:
                result = push_image(repo, parsed, manifest_bytes, self.store.blob_path,
                                    mount_sources=sources, chunk_size=chunk_size,
                                    listener=listener)
        if index is not None and index.missing:
            result.note = (
                f"pushed only {index.platform} of the multi-platform image it was pulled "
                f"as; {', '.join(index.missing)} are not in the store (pull each with "
                "--platform to push the whole index)")
        image_db.add_repo_digest(self.store, parsed.name, result.digest, image.id)
        events.image(self.store, parsed.familiar, "push", parsed.familiar_name)
        return result

    def login(self, server: str | None, username: str, password: str, *,
              insecure: bool = False) -> LoginResult:
        """Check the credentials against the registry, then save them in
        ~/.docker/config.json (or the credential helper it names)."""
        from hullbox.registry import credentials
        from hullbox.registry.client import RegistryClient

        registry = _registry_name(server)
        if not username:
            raise InvalidArgument("login: a username is needed (-u USER)")
        if not password:
            raise InvalidArgument("login: a password is needed (--password-stdin or -p)")
        creds = credentials.Credentials(username, password)
        with RegistryClient(registry, insecure=insecure, credentials=creds) as client:
            client.login()
        return LoginResult(registry, credentials.store(registry, creds))

    def logout(self, server: str | None) -> bool:
        """Forget saved credentials; False when there were none."""
        from hullbox.registry import credentials

        return credentials.erase(_registry_name(server))


def _whole_repository(ref: str, verb: str) -> reference.Reference:
    """The repository of ``-a``: a name with neither tag nor digest."""
    parsed = reference.parse(ref, default_tag=False)
    if parsed.tag or parsed.digest:
        raise InvalidArgument(f"{verb} -a: {ref!r} names a tag or digest, but --all-tags "
                              f"takes a repository; give {parsed.familiar_name} alone")
    return parsed


def _registry_name(server: str | None) -> str:
    """``https://reg:5000/v2/`` or ``reg:5000`` -> ``reg:5000``; none -> Docker Hub."""
    if not server:
        return "docker.io"
    name = server.removeprefix("https://").removeprefix("http://").split("/", 1)[0]
    if name in ("index.docker.io", "registry-1.docker.io"):
        return "docker.io"
    if not name:
        raise InvalidArgument(f"login: {server!r} is not a registry address")
    return name
