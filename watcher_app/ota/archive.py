"""Downloading one declarations archive: conditional GET, caps, and a temp file only.

The caller gets a file it may verify and then swap in atomically; a failed, cut-off or refused
download raises `DownloadError` and leaves nothing behind, so the stored catalogue is never
touched by a bad transfer. Redirects (GitHub sends archive URLs to codeload.github.com) are
followed by hand so every hop is checked like the first.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from watcher_app.fetch import DEFAULT_USER_AGENT

MAX_ARCHIVE_BYTES = 64 * 1024 * 1024  # contrib, the largest collection, is ~0.3–2 MB
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class DownloadError(Exception):
    """A download that did not give a usable file; one line for the user."""


@dataclass(frozen=True)
class Download:
    not_modified: bool  # 304: the stored archive is current
    etag: str | None
    last_modified: str | None
    bytes: int  # body bytes received
    url: str  # after redirects


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_source_url(url: str) -> httpx.URL:
    """https only (plain http for loopback, where tests serve archives), no credentials."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise DownloadError(f"not a usable URL: {url[:120]!r} ({exc})") from None
    host = parsed.host or ""
    if parsed.scheme != "https" and not (parsed.scheme == "http" and _loopback(host)):
        raise DownloadError(f"archives are downloaded over https only, not {url[:120]!r}")
    if not host:
        raise DownloadError(f"URL has no host: {url[:120]!r}")
    if parsed.userinfo:
        raise DownloadError("credentials in a URL (user:password@) are refused")
    return parsed


def make_client(timeout_s: float = 30.0) -> httpx.Client:
    """One client for a whole update: its TLS context is built once (~30 ms each)."""
    timeout = httpx.Timeout(timeout_s, connect=min(timeout_s, 15.0))
    return httpx.Client(timeout=timeout, follow_redirects=False)


def download(url: str, dest: Path, *, etag: str | None = None,
             last_modified: str | None = None, client: httpx.Client | None = None,
             max_bytes: int = MAX_ARCHIVE_BYTES, deadline_s: float = 300.0) -> Download:
    """GET `url` into `dest` (created or truncated). On 304 `dest` is removed and
    `not_modified` is true. Raises DownloadError; `dest` never survives a failure."""
    current = check_source_url(url)
    headers = {"User-Agent": DEFAULT_USER_AGENT, "Accept": "application/zip, */*;q=0.5",
               "Accept-Encoding": "identity"}  # a ZIP is compressed already
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    until = time.monotonic() + deadline_s
    try:
        with contextlib.ExitStack() as stack:
            if client is None:
                client = stack.enter_context(make_client())
            for _hop in range(MAX_REDIRECTS + 1):
                with client.stream("GET", current, headers=headers) as response:
                    if response.status_code in _REDIRECTS:
                        location = response.headers.get("location", "")
                        current = check_source_url(str(current.join(location)))
                        continue
                    return _receive(response, dest, max_bytes, until, str(current))
            raise DownloadError(f"{url}: more than {MAX_REDIRECTS} redirects")
    except httpx.TimeoutException:
        _discard(dest)
        raise DownloadError(f"timed out downloading {url}") from None
    except httpx.HTTPError as exc:
        _discard(dest)
        cut = isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError)
        what = "the download was cut short" if cut else "the download failed"
        raise DownloadError(f"{what} ({type(exc).__name__}: {exc})") from None
    except BaseException:
        _discard(dest)
        raise


def _receive(response: httpx.Response, dest: Path, max_bytes: int, until: float,
             url: str) -> Download:
    etag = response.headers.get("etag")
    modified = response.headers.get("last-modified")
    if response.status_code == 304:
        _discard(dest)
        return Download(True, etag, modified, 0, url)
    if response.status_code != 200:
        raise DownloadError(f"{url} answered HTTP {response.status_code}")
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise DownloadError(f"{url} sent Content-Encoding {encoding!r}; expected the ZIP as is")
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise DownloadError(f"{url} is {int(declared):,} bytes, over the "
                            f"{max_bytes:,}-byte cap for an archive")
    received = 0
    with dest.open("wb") as out:
        for chunk in response.iter_raw():
            received += len(chunk)
            if received > max_bytes:
                raise DownloadError(f"{url} sent more than the {max_bytes:,}-byte cap")
            if time.monotonic() > until:
                raise DownloadError(f"{url} is downloading too slowly; gave up")
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())  # on disk before anyone swaps it in
    if declared.isdigit() and received != int(declared):
        raise DownloadError(f"the download was cut short ({received:,} of {int(declared):,} "
                            "bytes)")
    if received == 0:
        raise DownloadError(f"{url} answered with an empty body")
    return Download(False, etag, modified, received, url)


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
