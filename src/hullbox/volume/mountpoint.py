"""One mount a container asks for: a volume, a host directory, or a tmpfs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

VOLUME = "volume"
BIND = "bind"
TMPFS = "tmpfs"
TYPES = (VOLUME, BIND, TMPFS)

PROPAGATIONS = ("private", "rprivate", "shared", "rshared", "slave", "rslave")


@dataclass
class MountPoint:
    """Parsed from ``-v``, ``--mount`` or ``--tmpfs`` (or an image VOLUME), and
    stored with the container once its volumes are known."""

    type: str
    destination: str
    #: a volume's name ("" until an anonymous volume is named), or a host path
    source: str = ""
    read_only: bool = False
    #: the mode text of ``-v`` (``ro,z``), shown by inspect as Docker does
    mode: str = ""
    #: bind propagation; "" means Docker's default, rprivate
    propagation: str = ""
    #: do not fill an empty volume from the image (``nocopy``, ``volume-nocopy``)
    nocopy: bool = False
    #: ``-v /host:/x`` makes a missing /host; ``--mount type=bind`` refuses it
    create_host_path: bool = False
    #: tmpfs data options (size=, mode=) and flags (exec, ro ...)
    tmpfs_options: list[str] = field(default_factory=list)
    #: from ``--tmpfs`` (HostConfig.Tmpfs), not a mount point inspect lists
    from_tmpfs_flag: bool = False
    #: ``--mount volume-label=``/``volume-opt=``: used if the volume is created
    volume_labels: dict[str, str] = field(default_factory=dict)
    volume_options: dict[str, str] = field(default_factory=dict)
    #: this container made the volume (an anonymous one): ``rm -v`` removes it
    anonymous: bool = False

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MountPoint:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)
