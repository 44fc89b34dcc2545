"""``hullbox build -o``: the built stage's filesystem written out instead of
an image (BuildKit's ``local`` and ``tar`` exporters).

``-o type=local,dest=DIR`` (or ``-o DIR``) fills a directory; ``-o
type=tar,dest=FILE`` (or ``-o -`` / ``dest=-`` for stdout) writes a tar. A
new file or directory appears whole or not at all: it is made under a
temporary name beside the destination and renamed when complete.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hullbox.build.workspace import Workspace
from hullbox.errors import HullboxError, InvalidArgument, LayerError
from hullbox.image.packlayer import PackStats, Writable, pack_tree
from hullbox.image.tarlayer import unpack_layer
from hullbox.store.store import Store

_TYPES = ("local", "tar")


@dataclass(frozen=True)
class BuildOutput:
    """Where ``-o`` sends the result."""

    kind: str  # "local" or "tar"
    dest: str  # a path, or "-" for the caller's stdout (tar only)


def parse_output(spec: str) -> BuildOutput:
    """``type=local,dest=DIR``, ``type=tar,dest=FILE``, ``DIR`` or ``-``."""
    if "=" not in spec:  # docker's shorthand
        return BuildOutput("tar", "-") if spec == "-" else BuildOutput("local", spec)
    try:
        row = next(csv.reader([spec]))
    except (csv.Error, StopIteration):
        raise InvalidArgument(f"invalid -o {spec!r}: use type=local,dest=DIR") from None
    fields: dict[str, str] = {}
    for item in row:
        key, sep, value = item.strip().partition("=")
        if not sep or key not in ("type", "dest"):
            raise InvalidArgument(f"invalid -o {spec!r}: unexpected {item!r}; use "
                                  "type=local,dest=DIR or type=tar,dest=FILE")
        fields[key] = value
    kind = fields.get("type", "local")
    if kind not in _TYPES:
        raise InvalidArgument(f"-o type={kind}: hullbox exports type=local or type=tar "
                              "(without -o the image goes to the store)")
    dest = fields.get("dest", "")
    if not dest:
        raise InvalidArgument(f"-o {spec}: a dest is needed (dest=PATH)")
    if dest == "-" and kind == "local":
        raise InvalidArgument(f"-o {spec}: type=local needs a directory; use type=tar "
                              "for stdout")
    return BuildOutput(kind, dest)


def check_output(output: BuildOutput, stdout: Writable | None) -> None:
    """Refuse, before building, a destination that cannot be written."""
    if output.dest == "-":
        if stdout is None:
            raise InvalidArgument("-o -: no stdout to write the tar to; give dest=FILE")
        return
    dest = Path(output.dest)
    if not dest.parent.is_dir():
        raise InvalidArgument(f"-o: {dest.parent} is not a directory; create it first")
    if output.kind == "local" and dest.exists() and not dest.is_dir():
        raise InvalidArgument(f"-o type=local: {dest} exists and is not a directory")
    if output.kind == "tar" and dest.is_dir():
        raise InvalidArgument(f"-o type=tar: {dest} is a directory; name a file")


def export_filesystem(store: Store, lowers: list[Path], output: BuildOutput,
                      stdout: Writable | None) -> PackStats:
    """Write the filesystem the layers ``lowers`` (top first) make up."""
    with Workspace(store.tmp_dir, lowers, readonly=True) as view:
        if output.dest == "-":
            assert stdout is not None
            return pack_tree(view.rootfs, stdout)
        if output.kind == "tar":
            with _new_file(Path(output.dest)) as out:
                return pack_tree(view.rootfs, out)
        with _directory(Path(output.dest)) as target:
            return _copy_tree(view.rootfs, target)
    raise AssertionError("unreachable")  # pragma: no cover


@contextlib.contextmanager
def _new_file(dest: Path) -> Iterator[Writable]:
    fd, temp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
        os.chmod(temp, 0o644)
        os.replace(temp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


@contextlib.contextmanager
def _directory(dest: Path) -> Iterator[Path]:
    if dest.is_dir():  # docker writes into an existing directory
        yield dest
        return
    temp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        yield temp
        temp.chmod(0o755)
        temp.rename(dest)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _copy_tree(source: Path, target: Path) -> PackStats:
    """``source`` into ``target`` through a tar stream, so owners, modes,
    times, hard links, devices and xattrs come out as ``save``/``load`` keep
    them (and nothing can land outside ``target``)."""
    read_fd, write_fd = os.pipe2(os.O_CLOEXEC)
    failures: list[BaseException] = []
    stats: list[PackStats] = []

    def pack() -> None:
        try:
            with open(write_fd, "wb") as out:
                stats.append(pack_tree(source, out))
        except BaseException as exc:
            failures.append(exc)

    writer = threading.Thread(target=pack, daemon=True)
    writer.start()
    try:
        with open(read_fd, "rb") as stream:
            unpack_layer(stream, target)
    except (LayerError, OSError) as exc:
        writer.join()
        cause = failures[0] if failures else exc
        raise HullboxError(f"-o {target}: export the filesystem: {cause}") from cause
    writer.join()
    if failures:
        raise HullboxError(f"-o {target}: export the filesystem: {failures[0]}")
    return stats[0]
