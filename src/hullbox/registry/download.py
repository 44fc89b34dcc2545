"""Downloading one blob into a partial file that survives interruption.

The partial file is ``<store tmp>/pull-<hex>.partial``, keyed by digest, so a
pull that was killed or cut off resumes with ``Range: bytes=N-`` from the bytes
it already has instead of starting again; the bytes on disk are re-hashed
first, so the digest still covers every byte. Only a file whose whole content
hashes to the digest is handed back.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import httpx

from hullbox.oci.digest import digest_hex
from hullbox.registry.client import backoff
from hullbox.registry.errors import DigestMismatch, RegistryError
from hullbox.registry.repository import Repository

_CHUNK = 1 << 20
_MAX_ATTEMPTS = 6

Progress = Callable[[int], None]


def partial_path(tmp_dir: Path, digest: str) -> Path:
    """Where the bytes of ``digest`` gather while being downloaded."""
    return tmp_dir / f"pull-{digest_hex(digest)}.partial"


class _Partial:
    """The partial file, its running hash and length."""

    def __init__(self, out: BinaryIO, size: int) -> None:
        self.out = out
        self.size = size
        self.hasher = hashlib.sha256()
        self.offset = 0
        self.rehash()

    def rehash(self) -> None:
        """Hash what the file holds; a file longer than the blob is junk."""
        self.hasher = hashlib.sha256()
        self.out.seek(0)
        self.offset = 0
        while chunk := self.out.read(_CHUNK):
            self.hasher.update(chunk)
            self.offset += len(chunk)
        if self.offset > self.size:
            self.restart()

    def restart(self) -> None:
        self.out.seek(0)
        self.out.truncate(0)
        self.hasher = hashlib.sha256()
        self.offset = 0

    def write(self, chunk: bytes) -> None:
        self.out.write(chunk)
        self.hasher.update(chunk)
        self.offset += len(chunk)

    @property
    def digest(self) -> str:
        return "sha256:" + self.hasher.hexdigest()


def fetch_blob(
    repo: Repository,
    digest: str,
    size: int,
    tmp_dir: Path,
    *,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Path, int]:
    """Download ``digest`` (of ``size`` bytes) into its partial file and verify
    it; returns the path and the offset the download first resumed from (bytes
    kept from an earlier run or from a cut connection; 0 when it never resumed).
    A lock on the file makes a second pull of the same blob wait, then find it
    whole."""
    path = partial_path(tmp_dir, digest)
    with _locked(path) as out:
        partial = _Partial(out, size)
        resumed_from = partial.offset
        attempt = 0
        while partial.offset < size:
            attempt += 1
            resumed_from = resumed_from or partial.offset
            try:
                _stream(repo, digest, partial, progress)
            except (httpx.TransportError, _ShortRead) as exc:
                # A cut connection: keep what arrived and ask for the rest.
                out.flush()
                if attempt >= _MAX_ATTEMPTS:
                    raise RegistryError(
                        f"download blob {digest[:19]} of {repo.name}: interrupted at "
                        f"{partial.offset} of {size} bytes ({exc}); run the pull again "
                        "to resume"
                    ) from exc
                sleep(backoff(attempt, None))
        out.flush()
        os.fsync(out.fileno())
        if partial.digest != digest:
            got = partial.digest
            path.unlink()  # bad bytes must not be resumed from
            raise DigestMismatch(
                f"blob {digest[:19]} of {repo.name} from {repo.client.registry} does not "
                f"match its digest (got {got[:19]}): refusing it"
            )
    return path, resumed_from


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[BinaryIO]:
    """The partial file at ``path``, opened and locked. A file the previous
    holder renamed into the store or unlinked is not the one to write to:
    open again until the locked file is the one the path names."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        out = os.fdopen(fd, "r+b")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(path).st_ino
            except FileNotFoundError:
                current = -1
            if current == os.fstat(fd).st_ino:
                yield out
                return
        finally:
            out.close()


class _ShortRead(Exception):
    """The response ended before the blob did."""


def _stream(repo: Repository, digest: str, partial: _Partial,
            progress: Progress | None) -> None:
    response = repo.open_blob(digest, partial.offset)
    with contextlib.closing(response):
        if partial.offset and not _honours_range(response, partial.offset):
            partial.restart()  # the registry ignored Range and sends everything
        partial.out.seek(partial.offset)
        # Raw (the blob's own bytes, never content-decoded) and unbuffered:
        # a chunk size would make httpx hold back bytes that arrived before
        # a cut, and those are exactly what a resume starts from.
        for chunk in response.iter_raw():
            if partial.offset + len(chunk) > partial.size:
                partial.restart()
                raise DigestMismatch(
                    f"blob {digest[:19]} of {repo.name} is longer than its "
                    f"{partial.size} bytes: refusing it"
                )
            partial.write(chunk)
            if progress is not None:
                progress(partial.offset)
    if partial.offset < partial.size:
        raise _ShortRead(f"the registry sent {partial.offset} of {partial.size} bytes")


def _honours_range(response: httpx.Response, offset: int) -> bool:
    """A 206 whose Content-Range starts where we asked."""
    if response.status_code != 206:
        return False
    value = response.headers.get("content-range", "")
    return bool(value.startswith(f"bytes {offset}-"))
