"""Container names: validation and Docker-style random names."""

from __future__ import annotations

import os
import re

from hullbox.errors import InvalidArgument

_VALID = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$")

_LEFT = (
    "admiring", "bold", "brave", "busy", "clever", "eager", "elastic", "fervent",
    "focused", "gallant", "happy", "hopeful", "jolly", "keen", "kind", "lucid",
    "modest", "nifty", "quirky", "relaxed", "serene", "sharp", "stoic", "tender",
    "upbeat", "vibrant", "wizardly", "youthful", "zealous", "zen",
)
_RIGHT = (
    "archimedes", "babbage", "bohr", "curie", "darwin", "einstein", "euler", "faraday",
    "fermat", "galileo", "gauss", "hopper", "hypatia", "kepler", "lamarr", "lovelace",
    "maxwell", "meitner", "newton", "noether", "pascal", "ritchie", "shannon", "tesla",
    "thompson", "torvalds", "turing", "wozniak", "yalow", "zuse",
)


def validate_name(name: str) -> str:
    """Return the name without a leading '/', or raise InvalidArgument."""
    if not _VALID.match(name):
        raise InvalidArgument(
            f"invalid container name {name!r}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )
    return name.removeprefix("/")


def random_name() -> str:
    """adjective_scientist, like Docker's."""
    left, right = os.urandom(2)
    return f"{_LEFT[left % len(_LEFT)]}_{_RIGHT[right % len(_RIGHT)]}"


def new_id() -> str:
    """A container ID: 64 random hex digits."""
    return os.urandom(32).hex()
