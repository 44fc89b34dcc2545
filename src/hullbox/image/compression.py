"""Layer compression: sniffed from magic bytes, never from a file name.

A layer blob is a tar, a gzip'd tar or a zstd'd tar (image-spec layer.md).
Readers here are plain ``read(size)`` streams so they can be chained: source ->
tee into a blob -> decompress -> hash -> tar.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import importlib
import io
import itertools
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, cast

from hullbox.errors import InvalidArgument, LayerError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_SNIFF_LEN = 4
_CHUNK = 1 << 20


class Compression(enum.Enum):
    """How a layer blob is compressed."""

    NONE = "none"
    GZIP = "gzip"
    ZSTD = "zstd"


def sniff(head: bytes) -> Compression:
    """The compression announced by a blob's first bytes (plain tar otherwise)."""
    if head.startswith(GZIP_MAGIC):
        return Compression.GZIP
    if head.startswith(ZSTD_MAGIC):
        return Compression.ZSTD
    return Compression.NONE


class PrefixedReader(io.RawIOBase):
    """Gives back bytes already read (the sniffed head), then the rest of a
    stream: stdin cannot seek back."""

    def __init__(self, head: bytes, inner: IO[bytes]) -> None:
        super().__init__()
        self._head = head
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._inner.read(len(view))
        if not data:
            return 0
        view[: len(data)] = data
        return len(data)


class HashingReader(io.RawIOBase):
    """Hashes what passes through and copies it to ``sink`` when given, so one
    pass stores the blob, yields its digest and feeds the unpacker (the DiffID
    is the digest of the uncompressed tar)."""

    def __init__(self, inner: IO[bytes], sink: Callable[[bytes], object] | None = None) -> None:
        super().__init__()
        self._inner = inner
        self._sink = sink
        self.hash = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._inner.read(len(view))
        if not data:
            return 0
        if self._sink is not None:
            self._sink(data)
        self.hash.update(data)
        self.size += len(data)
        view[: len(data)] = data
        return len(data)

    @property
    def digest(self) -> str:
        """``sha256:...`` of the bytes passed so far."""
        return "sha256:" + self.hash.hexdigest()


class _CheckedReader(io.RawIOBase):
    """Turns a decompressor's own errors into one-line LayerErrors; errors of
    the underlying file (EIO, a LayerError from a tee) pass unchanged."""

    def __init__(self, inner: Any, errors: tuple[type[BaseException], ...], what: str) -> None:
        super().__init__()
        self._inner = inner
        self._errors = errors
        self._what = what

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        try:
            data = self._inner.read(len(view))
        except self._errors as exc:
            raise LayerError(f"{self._what}: {exc or type(exc).__name__}") from exc
        view[: len(data)] = data
        return len(data)


def _inflater() -> zlib._Decompress:
    """A decompressor of one gzip member (it checks the member's CRC and
    length): ISA-L's through ``isal`` (2 to 6 times zlib's speed, and it too
    lets go of the GIL), or zlib's where isal has no wheel."""
    try:
        from isal import isal_zlib
    except ImportError:
        return zlib.decompressobj(wbits=31)
    # isal_zlib is a drop-in twin of zlib: same methods, same attributes.
    return cast("zlib._Decompress", isal_zlib.decompressobj(wbits=31))


def _gzip_errors() -> tuple[type[BaseException], ...]:
    """What a decompressor from ``_inflater`` raises for bad data, with
    EOFError for a stream cut short."""
    try:
        from isal import isal_zlib
    except ImportError:
        return (zlib.error, EOFError)
    # isal's stub calls its error class an instance of Exception.
    return (zlib.error, cast("type[BaseException]", isal_zlib.error), EOFError)


class _Gunzip:
    """gzip members one after another (as ``gzip -d`` reads them), inflated
    from 1 MiB input reads. gzip.GzipFile reads its input 8 KiB at a time,
    which made it the slowest step of a pull."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._inflate = _inflater()
        self._done = False

    def read(self, size: int = -1) -> bytes:
        want = size if size > 0 else _CHUNK
        while not self._done:
            inflate = self._inflate
            if inflate.eof:
                # Another member, or the end (zero padding after the last
                # member is allowed, as gzip.GzipFile allows it).
                rest = inflate.unused_data.lstrip(b"\0")
                while not rest:
                    more = self._raw.read(_CHUNK)
                    if not more:
                        self._done = True
                        return b""
                    rest = more.lstrip(b"\0")
                self._inflate = inflate = _inflater()
                data = rest
            else:
                data = inflate.unconsumed_tail or self._raw.read(_CHUNK)
                if not data:
                    raise EOFError("the stream ends before its end-of-stream marker")
            out = inflate.decompress(data, want)
            if out:
                return out
        return b""


def decompressed(raw: IO[bytes], compression: Compression, name: str = "layer") -> IO[bytes]:
    """A reader of the uncompressed tar inside ``raw``; ``name`` says in errors
    which archive is bad."""
    if compression is Compression.GZIP:
        inner: Any = _Gunzip(raw)
        # A bad header, bad data or a bad checksum, or a stream cut short.
        errors = _gzip_errors()
        what = f"{name} is not a valid gzip stream"
    elif compression is Compression.ZSTD:
        zstandard = _zstandard(name)
        inner = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        errors = (zstandard.ZstdError,)
        what = f"{name} is not a valid zstd stream"
    else:
        return raw
    return io.BufferedReader(_CheckedReader(inner, errors, what), _CHUNK)


# A piece of uncompressed output at most this big: a small blob may expand
# a thousandfold, and no more than this is held at once.
_OUT_MAX = 2 << 20


def inflate(chunks: Iterator[bytes], compression: Compression,
            name: str = "layer") -> Iterator[bytes]:
    """The uncompressed bytes of the compressed ``chunks``, as pieces of at
    most 2 MiB; a push-style twin of ``decompressed`` for bytes that arrive
    from elsewhere (a download), with no buffered reader copying them."""
    if compression is Compression.NONE:
        yield from chunks
        return
    if compression is Compression.GZIP:
        try:
            yield from _gunzip(chunks)
        except _gzip_errors() as exc:
            raise LayerError(f"{name} is not a valid gzip stream: {exc}") from exc
        return
    zstandard = _zstandard(name)
    reader = zstandard.ZstdDecompressor().stream_reader(
        _ChunkReader(chunks), read_size=_CHUNK, read_across_frames=True)
    try:
        while out := reader.read(_OUT_MAX):
            yield out
    except zstandard.ZstdError as exc:
        raise LayerError(f"{name} is not a valid zstd stream: {exc}") from exc


def _gunzip(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """gzip members one after another, as ``_Gunzip`` reads them."""
    inflater = _inflater()
    for chunk in chunks:
        data = chunk
        while True:
            if inflater.eof:
                # Another member, or zero padding after the last one.
                data = data.lstrip(b"\0")
                if not data:
                    break
                inflater = _inflater()
            out = inflater.decompress(data, _OUT_MAX)
            if out:
                yield out
            if inflater.eof:
                data = inflater.unused_data
            elif len(out) == _OUT_MAX:
                # Capped: the rest waits in the input left over, or in zlib.
                data = inflater.unconsumed_tail
            else:
                break
    if not inflater.eof:
        raise EOFError("the stream ends before its end-of-stream marker")


class _ChunkReader:
    """``read(size)`` over an iterator of chunks, for zstandard's reader."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._rest = memoryview(b"")

    def read(self, size: int = -1) -> bytes:
        if not self._rest:
            self._rest = memoryview(next(self._chunks, b""))
        piece = self._rest if size < 0 else self._rest[:size]
        self._rest = self._rest[len(piece):]
        return bytes(piece)


def _zstandard(name: str) -> Any:
    try:
        return importlib.import_module("zstandard")
    except ImportError as exc:
        raise LayerError(
            f"{name} is zstd-compressed and the Python module 'zstandard' is not "
            "installed; install it with: pip install zstandard"
        ) from exc


def peek_chunks(chunks: Iterator[bytes]) -> tuple[Iterator[bytes], Compression]:
    """Sniff an iterator of chunks: returns one that still yields every
    chunk, and the compression."""
    seen: list[bytes] = []
    while sum(map(len, seen)) < _SNIFF_LEN:
        chunk = next(chunks, None)
        if chunk is None:
            break
        seen.append(chunk)
    return itertools.chain(seen, chunks), sniff(b"".join(seen)[:_SNIFF_LEN])


def hashed(chunks: Iterator[bytes], hasher: Any) -> Iterator[bytes]:
    """``chunks`` unchanged, each one fed to ``hasher`` on its way."""
    for chunk in chunks:
        hasher.update(chunk)
        yield chunk


def peek_compression(raw: IO[bytes]) -> tuple[IO[bytes], Compression]:
    """Sniff a stream that may not seek: returns a reader that still yields
    every byte, and the compression."""
    head = b""
    while len(head) < _SNIFF_LEN:
        chunk = raw.read(_SNIFF_LEN - len(head))
        if not chunk:
            break
        head += chunk
    return io.BufferedReader(PrefixedReader(head, raw), _CHUNK), sniff(head)


@contextlib.contextmanager
def open_layer_stream(
    source: str | Path | IO[bytes], name: str | None = None
) -> Iterator[tuple[IO[bytes], Compression]]:
    """Open a layer (a path or a binary file object) as an uncompressed tar
    stream; the file is closed when the block ends (a given file object is left
    open)."""
    with contextlib.ExitStack() as stack:
        if isinstance(source, str | Path):
            try:
                raw: IO[bytes] = stack.enter_context(open(source, "rb"))
            except OSError as exc:
                raise InvalidArgument(f"open layer {source}: {exc.strerror}") from exc
            label = name or str(source)
        else:
            raw = source
            label = name or "layer"
        reader, compression = peek_compression(raw)
        yield decompressed(reader, compression, label), compression


def drain(stream: IO[bytes]) -> None:
    """Read a stream to its end (tar stops at its end marker; a digest covers
    every byte)."""
    while stream.read(_CHUNK):
        pass
