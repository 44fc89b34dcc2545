"""The exception tree. Every message is one line a user can act on.

    HullboxError                      exit 125: hullbox itself failed
     +-- InvalidArgument              a flag or value the user gave is wrong
     |    +-- InvalidReference        an image reference that does not parse
     |    +-- ComposeFileError        a compose file breaks the Compose Specification
     |    +-- TemplateError           a --format template names a field its value lacks
     |         +-- InspectTemplateError  the same in inspect -f: exit 1, as docker
     +-- NotFound
     |    +-- ImageNotFound
     |    +-- ContainerNotFound
     |    +-- NetworkNotFound
     |    +-- MachineNotFound
     |    +-- SnapshotNotFound
     |    +-- VolumeNotFound
 |    +-- ManifestListNotFound
     +-- Conflict                     a name in use, a container still running
     +-- LayerError                   a layer tar that is corrupt or hostile
     |    +-- UnsafeLayer             an entry would land outside the layer
     +-- StoreError                   the store on disk is unusable
     +-- RuntimeFailure               the container could not be set up
     +-- BuildFailed                  exit 1: a build step failed (a RUN's command)
     +-- MachineFailure               QEMU or qemu-img failed; carries their message
     +-- Unsupported                  valid input naming a feature hullbox lacks yet
     +-- CommandNotInvokable          exit 126: the command exists but cannot run
     +-- CommandNotFound              exit 127: the command does not exist

The CLI prints ``hullbox: <message>`` and exits with ``exit_code``.
"""

from __future__ import annotations


class HullboxError(Exception):
    """Base of every error hullbox reports to its user."""

    exit_code = 125


class InvalidArgument(HullboxError):
    """A flag, option or value given by the user is malformed."""


class InvalidReference(InvalidArgument):
    """An image reference does not follow Docker's reference grammar."""


class ComposeFileError(InvalidArgument):
    """A compose file (or its .env) is malformed; names the file and the path in it."""


class TemplateError(InvalidArgument):
    """A ``--format`` template names a field its value does not have."""


class InspectTemplateError(TemplateError):
    """``inspect -f`` with a template its objects cannot fill: docker exits 1."""

    exit_code = 1


class NotFound(HullboxError):
    """Something named by the user does not exist."""


class ImageNotFound(NotFound):
    """No image matches the reference in the local store."""


class ContainerNotFound(NotFound):
    """No container matches the name or ID prefix."""


class NetworkNotFound(NotFound):
    """No network matches the name or ID prefix."""


class MachineNotFound(NotFound):
    """No virtual machine matches the name or ID prefix."""


class SnapshotNotFound(NotFound):
    """A virtual machine has no snapshot of that name."""


class VolumeNotFound(NotFound):
    """No volume has the name."""


class ManifestListNotFound(NotFound):
    """No local manifest list (``hullbox manifest create``) has the name."""


class Conflict(HullboxError):
    """The request clashes with the current state (name in use, still running)."""


class LayerError(HullboxError):
    """A layer archive is corrupt or cannot be unpacked."""


class UnsafeLayer(LayerError):
    """A layer archive tries to write outside its own directory."""


class StoreError(HullboxError):
    """The store on disk is missing, locked or damaged."""


class RuntimeFailure(HullboxError):
    """The runtime could not set the container up; names the stage that failed."""


class BuildFailed(HullboxError):
    """A build step failed: a RUN exited non-zero (``docker build`` exits 1)."""

    exit_code = 1

    def __init__(self, message: str, output_tail: list[str] | None = None) -> None:
        super().__init__(message)
        self.output_tail = output_tail or []


class MachineFailure(HullboxError):
    """QEMU or qemu-img refused or failed; the message carries their own words."""


class Unsupported(HullboxError):
    """The input is valid, but uses a feature hullbox does not implement yet."""


class CommandNotInvokable(HullboxError):
    """The container's command exists but cannot be executed (Docker's 126)."""

    exit_code = 126


class CommandNotFound(HullboxError):
    """The container's command does not exist in the image (Docker's 127)."""

    exit_code = 127
