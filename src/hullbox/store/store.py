"""The Store: blobs, unpacked layers, container directories and metadata."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from hullbox.errors import StoreError
from hullbox.oci.digest import digest_hex, sha256_digest
from hullbox.store import db
from hullbox.store.paths import default_root


class BlobWriter:
    """Streams a blob into the store, hashing as it goes. ``commit`` moves it
    into place under its digest; leaving the ``with`` block without a commit
    deletes the partial file."""

    def __init__(self, tmp_dir: Path, blobs_dir: Path) -> None:
        self._blobs_dir = blobs_dir
        fd, name = _mkstemp(tmp_dir, "blob")
        self._path = Path(name)
        self._file: IO[bytes] = os.fdopen(fd, "wb")
        import hashlib  # lazily, as in oci.digest

        self._hash = hashlib.sha256()
        self.size = 0
        self.digest = ""

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self.size += len(data)
        return self._file.write(data)

    def commit(self) -> str:
        """fsync and rename into blobs/sha256/; return the digest."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self.digest = "sha256:" + self._hash.hexdigest()
        target = self._blobs_dir / self._hash.hexdigest()
        os.replace(self._path, target)
        return self.digest

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.digest:
            self.discard()


def _mkstemp(directory: Path, prefix: str) -> tuple[int, str]:
    import tempfile

    return tempfile.mkstemp(prefix=f".{prefix}-", dir=directory)


class LayerStaging:
    """An unpacked layer waiting for its name; see ``Store.stage_layer``."""

    def __init__(self, staging: Path, layers_dir: Path) -> None:
        self._staging = staging
        self._layers_dir = layers_dir
        self.diff_dir = staging / "diff"
        self.committed = False

    def commit(self, chain_id: str) -> bool:
        """Make this the layer ``chain_id``; hold ``Store.lock()``. Returns False,
        discarding this copy, when the layer already exists."""
        final = self._layers_dir / digest_hex(chain_id)
        self.committed = True
        if final.exists():
            _rmtree(self._staging, ignore_errors=True)
            return False
        try:
            os.rename(self._staging, final)
        except BaseException:
            self.committed = False
            raise
        return True


class Store:
    """One hullbox root directory. Cheap to construct: nothing is opened until
    first used."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        self.blobs_dir = self.root / "blobs" / "sha256"
        self.layers_dir = self.root / "layers"
        self.containers_dir = self.root / "containers"
        self.tmp_dir = self.root / "tmp"
        self._conn: sqlite3.Connection | None = None

    # -- setup -------------------------------------------------------------
    def _ensure_dirs(self) -> None:
        for path in (self.blobs_dir, self.layers_dir, self.containers_dir, self.tmp_dir):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)

    @property
    def db(self) -> sqlite3.Connection:
        """The metadata database, opened on first use."""
        if self._conn is None:
            try:
                if not (self.root / "hullbox.db").exists():
                    self._ensure_dirs()
                self._conn = db.connect(self.root / "hullbox.db")
            except (OSError, sqlite3.Error) as exc:
                raise StoreError(f"open store {self.root}: {exc}") from exc
        return self._conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
        conn = self.db
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """An exclusive lock for changes to files shared between containers
        (layers, blobs being garbage-collected)."""
        self._ensure_dirs()
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- blobs -------------------------------------------------------------
    def blob_path(self, digest: str) -> Path:
        return self.blobs_dir / digest_hex(digest)

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).exists()

    def read_blob(self, digest: str) -> bytes:
        try:
            return self.blob_path(digest).read_bytes()
        except FileNotFoundError as exc:
            raise StoreError(
                f"blob {digest} is missing from the store at {self.root}; remove the image "
                "that needs it (hullbox rmi -f) and import or pull it again"
            ) from exc

    def blob_writer(self) -> BlobWriter:
        self._ensure_dirs()
        return BlobWriter(self.tmp_dir, self.blobs_dir)

    def put_new_blobs(self, blobs: list[bytes], undo: contextlib.ExitStack) -> None:
        """Store the small blobs not stored yet; ``undo`` deletes them again
        unless the caller's commit pops it (an image half-stored is none)."""
        for data in blobs:
            digest = sha256_digest(data)
            if not self.has_blob(digest):
                self.put_blob(data)
                undo.callback(remove_file, self.blob_path(digest))

    def put_blob(self, data: bytes) -> str:
        """Store a small blob (config, manifest) and return its digest."""
        with self.blob_writer() as writer:
            writer.write(data)
            return writer.commit()

    # -- layers ------------------------------------------------------------
    def layer_dir(self, chain_id: str) -> Path:
        """The unpacked, read-only directory of a layer stack's top layer."""
        return self.layers_dir / digest_hex(chain_id) / "diff"

    def has_layer(self, chain_id: str) -> bool:
        return self.layer_dir(chain_id).is_dir()

    @contextlib.contextmanager
    def new_layer(self, chain_id: str) -> Iterator[Path]:
        """A staging directory for unpacking a layer. It becomes the layer only
        when the block ends without an exception; otherwise it is removed."""
        self._ensure_dirs()
        staging = Path(_mkdtemp(self.tmp_dir, "layer"))
        try:
            (staging / "diff").mkdir(mode=0o755)
            yield staging / "diff"
            final = self.layers_dir / digest_hex(chain_id)
            if final.exists():  # another command unpacked it meanwhile
                _rmtree(staging)
            else:
                os.rename(staging, final)
        except BaseException:
            _rmtree(staging, ignore_errors=True)
            raise

    @contextlib.contextmanager
    def stage_layer(self) -> Iterator[LayerStaging]:
        """A staging directory for a layer whose chain ID is known only once it
        is unpacked (an imported layer's chain ID is the digest of the very tar
        being read). Name it with ``LayerStaging.commit``; left uncommitted, it
        is removed when the block ends."""
        self._ensure_dirs()
        staging = Path(_mkdtemp(self.tmp_dir, "layer"))
        layer = LayerStaging(staging, self.layers_dir)
        try:
            (staging / "diff").mkdir(mode=0o755)
            yield layer
        finally:
            if not layer.committed:
                _rmtree(staging, ignore_errors=True)

    # -- containers --------------------------------------------------------
    def container_dir(self, container_id: str) -> Path:
        return self.containers_dir / container_id


def _rmtree(path: Path, ignore_errors: bool = False) -> None:
    import shutil  # lazily: only imports and garbage collection remove trees

    shutil.rmtree(path, ignore_errors=ignore_errors)


def _mkdtemp(directory: Path, prefix: str) -> str:
    import tempfile

    return tempfile.mkdtemp(prefix=f".{prefix}-", dir=directory)


def remove_file(path: Path) -> None:
    """Unlink ``path``; already gone is fine (an undo step run twice)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
