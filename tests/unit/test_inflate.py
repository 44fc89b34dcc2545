"""Decompressing a layer from the chunks a download delivers."""

from __future__ import annotations

import gzip
import io
import os
import sys
from collections.abc import Iterator

import pytest
import zstandard

from hullbox.errors import LayerError
from hullbox.image.compression import Compression, decompressed, inflate, peek_chunks

PAYLOAD = os.urandom(300_000) + b"\0" * 20_000_000 + os.urandom(5000)
BLOBS = {
    Compression.GZIP: gzip.compress(PAYLOAD) + gzip.compress(b"second") + b"\0" * 100,
    Compression.ZSTD: (zstandard.ZstdCompressor().compress(PAYLOAD)
                       + zstandard.ZstdCompressor().compress(b"second")),
    Compression.NONE: PAYLOAD + b"second",
}


def pieces(blob: bytes, step: int) -> Iterator[bytes]:
    return iter([blob[i:i + step] for i in range(0, len(blob), step)])


@pytest.mark.parametrize("step", [1 << 20, 4096])
@pytest.mark.parametrize("compression", list(BLOBS))
def test_every_member_or_frame_comes_out_in_bounded_pieces(
    compression: Compression, step: int
) -> None:
    chunks, sniffed = peek_chunks(pieces(BLOBS[compression], step))
    assert sniffed is compression
    out = list(inflate(chunks, sniffed))
    assert b"".join(out) == PAYLOAD + b"second"
    if compression is not Compression.NONE:
        # 20 MB of zeros squeeze into kilobytes; they must not come out at once
        assert max(map(len, out)) <= 2 << 20


def test_tiny_chunks_still_sniff_and_inflate() -> None:
    blob = gzip.compress(b"small" * 1000)
    chunks, sniffed = peek_chunks(pieces(blob, 1))
    assert sniffed is Compression.GZIP
    assert b"".join(inflate(chunks, sniffed)) == b"small" * 1000


def test_cut_gzip_stream_is_one_clear_error() -> None:
    blob = BLOBS[Compression.GZIP][:100_000]
    with pytest.raises(LayerError, match="^blob x is not a valid gzip stream: .*ends before"):
        for _ in inflate(pieces(blob, 65536), Compression.GZIP, "blob x"):
            pass


def test_garbled_zstd_stream_is_one_clear_error() -> None:
    blob = bytearray(BLOBS[Compression.ZSTD])
    blob[8:64] = b"\xff" * 56
    with pytest.raises(LayerError, match="^blob x is not a valid zstd stream"):
        for _ in inflate(pieces(bytes(blob), 65536), Compression.ZSTD, "blob x"):
            pass


@pytest.mark.parametrize("isal", ["installed", "missing"])
def test_gzip_inflates_and_checks_its_crc_with_or_without_isal(
    isal: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # isal (ISA-L) is the fast path; where it has no wheel zlib does the work.
    if isal == "missing":
        monkeypatch.setitem(sys.modules, "isal", None)
    blob = BLOBS[Compression.GZIP]
    assert b"".join(inflate(pieces(blob, 65536), Compression.GZIP)) == PAYLOAD + b"second"
    stream = decompressed(io.BytesIO(blob), Compression.GZIP, "blob x")
    assert stream.read() == PAYLOAD + b"second"
    bad_crc = BLOBS[Compression.GZIP][:len(gzip.compress(PAYLOAD)) - 8] + b"\0" * 8
    with pytest.raises(LayerError, match="^blob x is not a valid gzip stream"):
        for _ in inflate(pieces(bad_crc, 65536), Compression.GZIP, "blob x"):
            pass
    with pytest.raises(LayerError, match="^blob x is not a valid gzip stream"):
        decompressed(io.BytesIO(bad_crc), Compression.GZIP, "blob x").read()
