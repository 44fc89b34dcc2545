"""Errors of registry traffic, each one line naming the registry and what to do."""

from __future__ import annotations

from hullbox.errors import HullboxError, NotFound


class RegistryError(HullboxError):
    """A registry could not be reached, refused a request, or sent bad content."""


class AuthError(RegistryError):
    """The registry refused our credentials, or asked for some we do not have."""


class ManifestNotFound(RegistryError, NotFound):
    """The registry has no manifest for the tag or digest."""


class DigestMismatch(RegistryError):
    """Content from the registry does not hash to the digest it was asked for."""
