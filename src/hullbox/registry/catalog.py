"""``GET /v2/_catalog``: the repositories a registry holds (what ``hullbox
search REGISTRY/TERM`` looks through, as podman does for registries that are
not Docker Hub)."""

from __future__ import annotations

from hullbox.registry.client import RegistryClient, error_text
from hullbox.registry.errors import RegistryError


def catalog(client: RegistryClient) -> list[str]:
    """Every repository name, following the Link header of a paging registry."""
    # No ?n=: distribution answers 400 to an n above its catalog.maxentries;
    # without one it sends its own page size and a Link to the next page.
    path = "/v2/_catalog"
    found: list[str] = []
    while path:
        response = client.request("GET", path, scopes=("registry:catalog:*",))
        if response.status_code == 404:
            raise RegistryError(f"registry {client.registry} does not list its repositories "
                                "(no /v2/_catalog); search needs a registry that does")
        if response.status_code >= 400:
            raise RegistryError(f"list repositories of {client.registry}: "
                                f"{error_text(response)}")
        try:
            found.extend(str(name) for name in response.json().get("repositories") or [])
        except (ValueError, AttributeError) as exc:
            raise RegistryError(f"list repositories of {client.registry}: the registry "
                                "sent no catalog JSON") from exc
        # The next page's URL carries its own query (n and last).
        path = response.links.get("next", {}).get("url", "")
        if path and not path.startswith(("/", "http://", "https://")):
            path = "/" + path
    return found
