"""Image references, parsed and normalised exactly as Docker does.

``busybox`` is ``docker.io/library/busybox:latest``; ``localhost:5000/app`` keeps
its registry; ``app@sha256:...`` pins a digest. The grammar is the one of
distribution/reference (``reference.go``): lowercase path components joined by
``.``, ``_``, ``__`` or dashes, an optional domain with port, a tag of at most
128 word characters, and a name of at most 255 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hullbox.errors import InvalidReference

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_REPO_PREFIX = "library/"
DEFAULT_TAG = "latest"
NAME_TOTAL_LENGTH_MAX = 255

_ALPHA_NUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = rf"{_ALPHA_NUMERIC}(?:{_SEPARATOR}{_ALPHA_NUMERIC})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|{_IPV6})"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"

_REFERENCE = re.compile(rf"^({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?$")
_ANCHORED_DOMAIN = re.compile(rf"^{_DOMAIN}$")
_ANCHORED_PATH = re.compile(rf"^{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*$")
# go-digest's registered algorithms and their hex lengths; the grammar admits
# any algorithm name, but a reference may only pin one of these.
_DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
_IDENTIFIER = re.compile(r"^[a-f0-9]{64}$")


@dataclass(frozen=True)
class Reference:
    """A normalised image reference."""

    domain: str
    path: str
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """``docker.io/library/busybox``: the repository with its registry."""
        return f"{self.domain}/{self.path}"

    @property
    def familiar_name(self) -> str:
        """The repository as Docker shows it: ``busybox``, ``user/app``,
        ``localhost:5000/app``."""
        if self.domain == DEFAULT_DOMAIN:
            path = self.path
            if path.startswith(OFFICIAL_REPO_PREFIX) and path.count("/") == 1:
                path = path[len(OFFICIAL_REPO_PREFIX):]
            return path
        return self.name

    def __str__(self) -> str:
        out = self.name
        if self.tag:
            out += ":" + self.tag
        if self.digest:
            out += "@" + self.digest
        return out

    @property
    def familiar(self) -> str:
        """The whole reference in Docker's short form: ``busybox:latest``."""
        out = self.familiar_name
        if self.tag:
            out += ":" + self.tag
        if self.digest:
            out += "@" + self.digest
        return out

    def with_tag(self, tag: str) -> Reference:
        """The same repository with another tag and no digest."""
        return Reference(self.domain, self.path, tag, None)


def _split_domain(name: str) -> tuple[str, str]:
    """Docker's splitDockerDomain: the first component is a registry only when it
    holds a '.' or a ':' or is 'localhost' (or has an uppercase letter, which no
    repository path may)."""
    first, sep, rest = name.partition("/")
    if not sep or (
        "." not in first and ":" not in first and first != "localhost"
        and first.lower() == first
    ):
        domain, remainder = DEFAULT_DOMAIN, name
    else:
        domain, remainder = first, rest
    if domain == LEGACY_DEFAULT_DOMAIN:
        domain = DEFAULT_DOMAIN
    if domain == DEFAULT_DOMAIN and "/" not in remainder:
        remainder = OFFICIAL_REPO_PREFIX + remainder
    return domain, remainder


def parse(text: str, *, default_tag: bool = True) -> Reference:
    """Parse and normalise a reference; raise InvalidReference naming the fault.

    With ``default_tag`` a reference with neither tag nor digest gets ``latest``.
    """
    if not text:
        raise InvalidReference("invalid reference format: the reference is empty")
    if _IDENTIFIER.match(text):
        raise InvalidReference(
            f"invalid repository name ({text}): cannot specify 64-byte hexadecimal strings"
        )
    match = _REFERENCE.match(text)
    if not match:
        lowered = text.lower()
        if lowered != text and _REFERENCE.match(lowered):
            raise InvalidReference(
                f"invalid reference format {text!r}: repository name must be lowercase"
            )
        raise InvalidReference(
            f"invalid reference format {text!r}: expected [registry/]name[:tag][@digest]"
        )
    name, tag, digest = match.group(1), match.group(2), match.group(3)
    if len(name) > NAME_TOTAL_LENGTH_MAX:
        raise InvalidReference(
            f"invalid reference {text!r}: repository name must not be more than "
            f"{NAME_TOTAL_LENGTH_MAX} characters"
        )
    domain, path = _split_domain(name)
    if path.lower() != path:
        raise InvalidReference(
            f"invalid reference format {text!r}: repository name must be lowercase"
        )
    if not _ANCHORED_PATH.match(path) or not _ANCHORED_DOMAIN.match(domain):
        raise InvalidReference(f"invalid reference format {text!r}")
    if digest is not None:
        _check_digest(text, digest)
    if tag is None and digest is None and default_tag:
        tag = DEFAULT_TAG
    return Reference(domain=domain, path=path, tag=tag, digest=digest)


def _check_digest(text: str, digest: str) -> None:
    algorithm, _, hex_part = digest.partition(":")
    length = _DIGEST_HEX_LENGTHS.get(algorithm)
    if length is None:
        raise InvalidReference(
            f"invalid reference {text!r}: unsupported digest algorithm {algorithm!r}"
            f" (use one of {', '.join(_DIGEST_HEX_LENGTHS)})"
        )
    if len(hex_part) != length or hex_part.lower() != hex_part:
        raise InvalidReference(
            f"invalid reference {text!r}: a {algorithm} digest has {length} lowercase hex digits"
        )


def is_image_id(text: str) -> bool:
    """True for a full image ID: 64 hex digits, with or without ``sha256:``."""
    return bool(_IDENTIFIER.match(text.removeprefix("sha256:")))
