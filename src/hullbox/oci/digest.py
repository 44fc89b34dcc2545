"""Content digests (``sha256:<64 hex>``) as the OCI image-spec defines them."""

from __future__ import annotations

import re

from hullbox.errors import InvalidArgument

_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")


def sha256_digest(data: bytes) -> str:
    """The OCI digest string of a byte string."""
    import hashlib  # lazily: `hullbox run` never hashes, and _hashlib is slow to load

    return "sha256:" + hashlib.sha256(data).hexdigest()


def validate_digest(digest: str) -> str:
    """Return the digest unchanged when well formed, else raise InvalidArgument."""
    if not _DIGEST.match(digest):
        raise InvalidArgument(f"invalid digest {digest!r}: expected sha256:<64 hex digits>")
    return digest


def digest_hex(digest: str) -> str:
    """The hex part of a digest: the name of its file in the store."""
    return validate_digest(digest).split(":", 1)[1]


def chain_ids(diff_ids: list[str]) -> list[str]:
    """The ChainIDs of a layer stack (image-spec config.md: ChainID(L1|L2) =
    sha256(ChainID(L1) + " " + DiffID(L2))); each names an unpacked layer dir."""
    chain: list[str] = []
    for diff_id in diff_ids:
        if not chain:
            chain.append(diff_id)
        else:
            chain.append(sha256_digest(f"{chain[-1]} {diff_id}".encode()))
    return chain
