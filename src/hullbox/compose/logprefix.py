"""How ``compose up`` and ``compose logs`` label each output line, as docker
compose does: the container's name without the project (``web-1``, or its
``container_name``), padded to the longest, then `` | ``; on a terminal each
container's prefix in a colour of its own, the same rainbow docker compose
walks through."""

from __future__ import annotations

import os
from dataclasses import dataclass

from hullbox.compose import naming
from hullbox.store.containers import ContainerRecord

#: docker compose's rainbow: cyan, yellow, green, magenta, blue, then their intense forms
_RAINBOW = ["36", "33", "32", "35", "34", "36;1", "33;1", "32;1", "35;1", "34;1"]
_RESET = "\033[0m"


def short_name(record: ContainerRecord) -> str:
    """``web-1`` for ``project-web-1``; a ``container_name`` stays whole."""
    labels = record.config.get("labels") or {}
    project = str(labels.get(naming.LABEL_PROJECT, ""))
    default = naming.container_name(project, str(labels.get(naming.LABEL_SERVICE, "")),
                                    int(labels.get(naming.LABEL_NUMBER, "0") or 0))
    if record.name != default or not project:
        return record.name
    return record.name[len(project) + 1:]


def use_colour(ansi: str, no_color: bool, fd: int = 1) -> bool:
    """``--ansi auto`` (the default) colours only a terminal; ``--no-color`` never."""
    if no_color or ansi == "never":
        return False
    return ansi == "always" or os.isatty(fd)


@dataclass
class Prefixes:
    """The prefix of every container's lines, made once for the whole output."""

    labels: dict[str, bytes]
    colours: dict[str, str]

    @classmethod
    def of(cls, records: list[ContainerRecord], *, colour: bool,
           prefix: bool = True) -> Prefixes:
        names = sorted(short_name(r) for r in records)  # sorted: stable colours, as compose
        width = max((len(n) for n in names), default=0) + 1
        colours = {name: _RAINBOW[i % len(_RAINBOW)] if colour else ""
                   for i, name in enumerate(names)}
        labels = {name: cls._paint(colours[name], f"{name.ljust(width)} | ").encode()
                  if prefix else b"" for name in names}
        return cls(labels, colours)

    @staticmethod
    def _paint(code: str, text: str) -> str:
        return f"\033[{code}m{text}{_RESET}" if code else text

    def line(self, record: ContainerRecord, data: bytes) -> bytes:
        """One output line of ``record`` as printed."""
        return self.labels.get(short_name(record), b"") + data

    def status(self, record: ContainerRecord, text: str) -> str:
        """A line about the container (``web-1 exited with code 0``), in its colour."""
        name = short_name(record)
        return self._paint(self.colours.get(name, ""), f"{name} {text}")


def attaching_line(records: list[ContainerRecord]) -> str:
    """``Attaching to db-1, web-1``, as attached ``up`` starts."""
    return "Attaching to " + ", ".join(sorted(short_name(r) for r in records))
