"""``ADD https://...``: the file downloaded once per build into a private
directory (removed when the build ends), named and dated as Docker does:
the URL path's last part (or the server's Content-Disposition name), the
server's Last-Modified time."""

from __future__ import annotations

import email.utils
import hashlib
import posixpath
import shutil
import tempfile
import urllib.parse
from pathlib import Path
from types import TracebackType

from hullbox.build.runops import Download
from hullbox.errors import InvalidArgument

_CHUNK = 1 << 20
TIMEOUT = 60.0


class UrlFetcher:
    """Downloads for one build; use as a context manager."""

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self.dir: Path | None = None
        self.done: dict[str, Download] = {}

    def __enter__(self) -> UrlFetcher:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __call__(self, url: str) -> Download:
        found = self.done.get(url)
        if found is None:
            found = self.done[url] = self._fetch(url)
        return found

    def _fetch(self, url: str) -> Download:
        import httpx

        if self.dir is None:
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
            self.dir = Path(tempfile.mkdtemp(prefix=".add-", dir=self.tmp_dir))
        path = self.dir / str(len(self.done))
        digest = hashlib.sha256()
        try:
            with httpx.stream("GET", url, follow_redirects=True, timeout=TIMEOUT) as response:
                if response.status_code >= 400:
                    raise InvalidArgument(f"ADD {url}: the server answered "
                                          f"{response.status_code} {response.reason_phrase}")
                with open(path, "wb") as out:
                    for chunk in response.iter_bytes(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                name = _name(url, response.headers.get("content-disposition", ""))
                mtime = _mtime(response.headers.get("last-modified", ""))
        except httpx.HTTPError as exc:
            raise InvalidArgument(f"ADD {url}: download failed: {exc}") from exc
        return Download(str(path), "sha256:" + digest.hexdigest(), name, mtime)


def _name(url: str, disposition: str) -> str:
    for part in disposition.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename" and value.strip('"'):
            return posixpath.basename(value.strip('"'))
    return posixpath.basename(urllib.parse.urlsplit(url).path) or "__unnamed__"


def _mtime(header: str) -> float | None:
    if not header:
        return None
    try:
        return email.utils.parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError):
        return None
