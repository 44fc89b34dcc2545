"""A tar stream read member by member, its file data never copied.

tarfile's stream mode (``r|``) copies every byte of file data three or four
times on its way out (buffer joins and slices, then ``extractfile``'s own
buffer), which made it the slowest step of unpacking a pulled layer. Here the
headers are still parsed by tarfile itself (``TarInfo.fromtarfile``, so PAX,
GNU long names and sparse maps read exactly as tarfile reads them), but file
data is handed out as memoryviews of the chunks the stream arrives in, ready
for ``os.write``.
"""

from __future__ import annotations

import tarfile
import tarfile as tarfile_module
from collections.abc import Iterable, Iterator
from typing import IO

from hullbox.errors import LayerError

_CHUNK = 1 << 20


def chunks_of(stream: IO[bytes] | Iterable[bytes]) -> Iterator[bytes]:
    """The chunks of a file object (read 1 MiB at a time) or of an iterable."""
    if hasattr(stream, "read"):
        reader: IO[bytes] = stream  # type: ignore[assignment]
        return iter(lambda: reader.read(_CHUNK), b"")
    return iter(stream)


def corrupt(exc: BaseException | str) -> LayerError:
    return LayerError(f"layer archive is corrupt: {exc or type(exc).__name__}")


class StrictTarInfo(tarfile.TarInfo):
    """tarfile ends an archive quietly at a garbled or cut header after the
    first member; that would drop the rest of a layer unnoticed, so only a zero
    block or a clean end of stream may end it."""

    @classmethod
    def fromtarfile(cls, tarfile: tarfile.TarFile) -> StrictTarInfo:
        try:
            return super().fromtarfile(tarfile)
        except tarfile_module.HeaderError as exc:
            if type(exc).__name__ in ("EOFHeaderError", "EmptyHeaderError"):
                raise
            raise corrupt(exc) from exc


class TarStream:
    """Members of an uncompressed tar arriving as chunks of bytes.

    It stands in for the TarFile that ``TarInfo.fromtarfile`` reads headers
    from (``fileobj``, ``offset``, ``pax_headers``, ``encoding``, ``errors``).
    """

    encoding = "utf-8"
    errors = "surrogateescape"

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._view = memoryview(b"")
        self._position = 0  # stream offset of the next unread byte
        self.offset = 0  # where the next header starts, as tarfile keeps it
        self.pax_headers: dict[str, str] = {}
        self.fileobj = self

    def _fill(self) -> bool:
        for chunk in self._chunks:
            if chunk:
                self._view = memoryview(chunk)
                return True
        return False

    # -- the file object tarfile's header parsing reads --------------------
    def read(self, size: int) -> bytes:
        parts: list[bytes] = []
        while size > 0 and (self._view or self._fill()):
            piece = self._view[:size]
            parts.append(bytes(piece))
            self._take(len(piece))
            size -= len(piece)
        return b"".join(parts)

    def tell(self) -> int:
        return self._position

    def _take(self, count: int) -> None:
        self._view = self._view[count:]
        self._position += count

    # -- members and their data --------------------------------------------
    def members(self) -> Iterator[tarfile.TarInfo]:
        """Each member in turn; its data, if any, is read with ``data`` before
        asking for the next (what is left unread is skipped)."""
        while True:
            self.skip(self.offset - self._position)
            try:
                member = StrictTarInfo.fromtarfile(self)  # type: ignore[arg-type]
            except tarfile.HeaderError as exc:
                # A zero block or the stream's end ends the archive, but a
                # stream with no header at all is no archive.
                kind = type(exc).__name__
                if kind == "EmptyHeaderError" and self._position == 0:
                    raise corrupt("empty file") from exc
                if kind in ("EOFHeaderError", "EmptyHeaderError"):
                    return
                raise corrupt(exc) from exc
            yield member

    def data(self, size: int) -> Iterator[memoryview]:
        """The next ``size`` bytes, as views of the chunks they came in."""
        while size > 0:
            if not self._view and not self._fill():
                raise corrupt("it ends in the middle of an entry")
            piece = self._view[:size]
            self._take(len(piece))
            size -= len(piece)
            yield piece

    def skip(self, size: int) -> None:
        for _ in self.data(size):
            pass
