"""``save`` and ``load``: images to and from files (docker-archive, OCI layout
directory or tarball)."""

from __future__ import annotations

import contextlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from hullbox.engine import events
from hullbox.engine.images import ImageService
from hullbox.errors import ImageNotFound, InvalidArgument
from hullbox.image.archive_read import LoadedImage, load
from hullbox.image.archive_write import (
    SavedImage,
    write_docker_archive,
    write_oci_archive,
    write_oci_dir,
)
from hullbox.oci import reference as refs
from hullbox.store.store import Store

FORMATS = ("docker-archive", "oci-archive", "oci-dir")


class ArchiveService:
    """``Engine().archives``: images as files."""

    def __init__(self, store: Store, images: ImageService) -> None:
        self.store = store
        self.images = images

    def save(self, names: list[str], output: str | None, fmt: str = "docker-archive",
             platform: str | None = None) -> None:
        """Write the images ``names`` to ``output`` (a file; None or "-" for
        stdout, which must not be a terminal). A partly written file is
        removed. With ``platform`` each image must be of it."""
        from hullbox.engine.image_platform import require_platform

        if fmt not in FORMATS:
            raise InvalidArgument(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        if not names:
            raise InvalidArgument("save needs at least one image")
        for name in names:
            require_platform(self.images, name, platform)
        images = self._select(names)
        if fmt == "oci-dir":
            if not output or output == "-":
                raise InvalidArgument("--format oci-dir needs a directory: give it with -o DIR")
            write_oci_dir(self.store, images, Path(output))
        else:
            writer = write_docker_archive if fmt == "docker-archive" else write_oci_archive
            with _output(output) as out:
                writer(self.store, images, out)
        for image in images:
            events.image(self.store, image.image_id, "save")

    def _select(self, names: list[str]) -> list[SavedImage]:
        """Images in the order given, each once; a name keeps its tag, an ID
        saves the image untagged (Docker's behaviour)."""
        by_id: dict[str, SavedImage] = {}
        for name in names:
            image = self.images.get(name)
            tags: tuple[str, ...] = ()
            if not _is_id(name, image.id):
                tags = (str(refs.parse(name)),)
            known = by_id.get(image.id)
            merged = tuple(dict.fromkeys([*(known.tags if known else ()), *tags]))
            by_id[image.id] = SavedImage(image.id, image.record.manifest_digest, merged)
        return list(by_id.values())

    def load(self, source: str | None, platform: str | None = None) -> list[LoadedImage]:
        """Load every image in an archive file (any compression docker load
        takes), an OCI layout directory, or stdin (None or "-"); with
        ``platform`` only that platform's images, and at least one."""
        from hullbox.registry.platform import parse_platform

        wanted = parse_platform(platform) if platform is not None else None
        matcher = wanted.matches if wanted is not None else None
        label = source if source and source != "-" else "stdin"
        if source and source != "-" and Path(source).is_dir():
            loaded = load(self.store, Path(source), source, matcher)
        else:
            with _uncompressed_tar(self.store, source, label) as path:
                loaded = load(self.store, path, label, matcher)
        if wanted is not None and not loaded:
            raise ImageNotFound(f"{label} holds no image for platform {wanted}; "
                                "drop --platform to load what it has")
        for item in loaded:
            events.image(self.store, item.image.id, "load")
        return loaded


def _is_id(name: str, image_id: str) -> bool:
    hex_part = name.removeprefix("sha256:")
    return len(hex_part) >= 4 and image_id.removeprefix("sha256:").startswith(hex_part)


@contextlib.contextmanager
def _output(output: str | None) -> Iterator[IO[bytes]]:
    if not output or output == "-":
        if sys.stdout.isatty():
            raise InvalidArgument("refusing to write an archive to a terminal; "
                                  "use -o FILE or redirect the output")
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    target = Path(output)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with open(partial, "wb") as out:
            yield out
        partial.replace(target)
    except OSError as exc:
        raise InvalidArgument(f"save to {output}: {exc.strerror or exc}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


@contextlib.contextmanager
def _uncompressed_tar(store: Store, source: str | None, label: str) -> Iterator[Path]:
    """A seekable, uncompressed copy of the archive (the file itself when it
    is one), since images are looked up by name inside it."""
    from hullbox.image.compression import Compression, decompressed, peek_compression

    with contextlib.ExitStack() as stack:
        if source and source != "-":
            try:
                raw: IO[bytes] = stack.enter_context(open(source, "rb"))
            except OSError as exc:
                raise InvalidArgument(f"load {source}: {exc.strerror or exc}") from exc
        else:
            raw = sys.stdin.buffer
        reader, compression = peek_compression(raw)
        if source and source != "-" and compression is Compression.NONE:
            yield Path(source)
            return
        import tempfile

        store.tmp_dir.mkdir(parents=True, exist_ok=True)
        spool = stack.enter_context(
            tempfile.NamedTemporaryFile(dir=store.tmp_dir, prefix=".load-"))
        shutil.copyfileobj(decompressed(reader, compression, label), spool, 1 << 20)
        spool.flush()
        yield Path(spool.name)
