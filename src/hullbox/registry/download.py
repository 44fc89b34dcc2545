"""A blob's bytes as they arrive, kept in a partial file that survives
interruption.

The partial file is ``<store tmp>/pull-<hex>.partial``, keyed by digest, and
locked by the pull that works on it from before its first byte until that
pull has renamed it into the store (or failed): a second pull of the same
blob waits, then finds the blob in the store and downloads nothing. A pull
that was killed or cut off resumes with ``Range: bytes=N-`` from the bytes
the file already has; those are read back and hashed first, so the digest
still covers every byte and the unpacker, fed as the bytes go by, sees the
whole blob.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

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


@contextlib.contextmanager
def locked_partial(tmp_dir: Path, digest: str, in_store: Callable[[], bool],
                   waiting: Callable[[], None] = lambda: None) -> Iterator[int | None]:
    """The partial file of ``digest``, opened and locked until the block
    ends, or None when the store has the blob (perhaps put there by the pull
    this one waited for; ``waiting`` is called before a wait). A file that the
    lock's previous holder renamed into the store or unlinked is not the one
    to write to: open again until the locked file is the one the path names."""
    path = partial_path(tmp_dir, digest)
    while not in_store():
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                waiting()
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(path).st_ino
            except FileNotFoundError:
                current = -1
            if current != os.fstat(fd).st_ino:
                continue
            if in_store():
                # Stored while we waited: what is left here is a copy.
                path.unlink()
                break
            yield fd
            return
        finally:
            os.close(fd)
    yield None


class BlobDownload:
    """The bytes of one blob, once, in order: what the locked partial file
    ``fd`` holds, then the registry's from there on (written to the file as
    they come). ``verify`` then checks the digest."""

    def __init__(self, repo: Repository, digest: str, size: int, fd: int, path: Path, *,
                 progress: Progress | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.repo = repo
        self.digest = digest
        self.size = size
        self.path = path
        self.resumed_from = 0  # where the download first resumed (0: it never did)
        self.fetched = False  # any byte came from the registry
        self._fd = fd
        self._hasher = hashlib.sha256()
        self._offset = 0
        self._progress = progress
        self._sleep = sleep

    def chunks(self) -> Iterator[bytes]:
        yield from self._kept()
        yield from self._fetched()

    def _kept(self) -> Iterator[bytes]:
        """What an earlier pull left, hashed as it is read back."""
        if os.fstat(self._fd).st_size > self.size:
            os.ftruncate(self._fd, 0)  # longer than the blob: junk
        os.lseek(self._fd, 0, os.SEEK_SET)
        while chunk := os.read(self._fd, _CHUNK):
            self._take(chunk)
            yield chunk

    def _take(self, chunk: bytes) -> None:
        self._hasher.update(chunk)
        self._offset += len(chunk)
        if self._progress is not None:
            self._progress(self._offset)

    def _fetched(self) -> Iterator[bytes]:
        attempt = 0
        while self._offset < self.size:
            attempt += 1
            self.resumed_from = self.resumed_from or self._offset
            self.fetched = True
            try:
                yield from self._stream()
            except (httpx.TransportError, _ShortRead) as exc:
                # A cut connection: keep what arrived and ask for the rest.
                if attempt >= _MAX_ATTEMPTS:
                    raise RegistryError(
                        f"download blob {self.digest[:19]} of {self.repo.name}: interrupted "
                        f"at {self._offset} of {self.size} bytes ({exc}); run the pull "
                        "again to resume"
                    ) from exc
                self._sleep(backoff(attempt, None))

    def _stream(self) -> Iterator[bytes]:
        response = self.repo.open_blob(self.digest, self._offset)
        with contextlib.closing(response):
            # A registry that ignores Range sends everything: drop what we have.
            unwanted = 0 if _honours_range(response, self._offset) else self._offset
            # Raw (the blob's own bytes, never content-decoded) and unbuffered:
            # a chunk size would make httpx hold back bytes that arrived before
            # a cut, and those are exactly what a resume starts from.
            for raw in response.iter_raw():
                chunk = raw
                if unwanted:
                    chunk, unwanted = raw[unwanted:], max(0, unwanted - len(raw))
                    if not chunk:
                        continue
                if self._offset + len(chunk) > self.size:
                    self.discard()
                    raise DigestMismatch(
                        f"blob {self.digest[:19]} of {self.repo.name} is longer than its "
                        f"{self.size} bytes: refusing it"
                    )
                view = memoryview(chunk)
                while view:
                    view = view[os.write(self._fd, view):]
                self._take(chunk)
                yield chunk
        if self._offset < self.size:
            raise _ShortRead(f"the registry sent {self._offset} of {self.size} bytes")

    def verify(self) -> None:
        """Check the whole blob (every chunk taken) hashes to its digest and
        make it durable; a blob that does not is deleted, never resumed from."""
        got = "sha256:" + self._hasher.hexdigest()
        if self._offset != self.size or got != self.digest:
            self.discard()
            raise DigestMismatch(
                f"blob {self.digest[:19]} of {self.repo.name} from {self.repo.client.registry} "
                f"does not match its digest (got {got[:19]}): refusing it"
            )
        os.fsync(self._fd)

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        os.ftruncate(self._fd, 0)


class _ShortRead(Exception):
    """The response ended before the blob did."""


def _honours_range(response: httpx.Response, offset: int) -> bool:
    """No range asked, or a 206 whose Content-Range starts where we asked."""
    if not offset:
        return True
    if response.status_code != 206:
        return False
    value = response.headers.get("content-range", "")
    return bool(value.startswith(f"bytes {offset}-"))
