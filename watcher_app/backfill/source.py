"""Byte ranges of a dataset file: a local file, or a URL read with HTTP `Range` requests.

A versions dataset is tens to hundreds of megabytes; the backfill needs its central directory
and a few entries. Both sources answer `read(offset, length)` and count what they transferred,
so a caller (and a test) can see that nothing more than that was downloaded.

A dropped connection in the middle of a range is resumed from the first byte not received
(a few times, with a short backoff): the bytes already received are never asked for again.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import httpx

from watcher_app import __version__

USER_AGENT = f"GovernanceWatcher/{__version__} (+history backfill from Open Terms Archive)"
RETRIES = 4  # resumptions of one range after a dropped connection
CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)


class DatasetError(Exception):
    """The dataset cannot be read (missing, not a ZIP, corrupt, unreachable): one line."""


class Cancelled(Exception):
    """The user cancelled the backfill; what was recorded before stays."""


class RangeSource(Protocol):
    name: str
    size: int
    transferred: int  # bytes read from the file or received from the server

    def tail(self, length: int) -> bytes: ...

    def read(self, offset: int, length: int) -> bytes: ...

    def close(self) -> None: ...


class FileSource:
    """A dataset ZIP on disk."""

    def __init__(self, path: Path) -> None:
        try:
            self._file = path.open("rb")
        except OSError as exc:
            raise DatasetError(f"cannot open the dataset {path}: {exc.strerror or exc}") from exc
        self.name = path.name
        self.size = path.stat().st_size
        self.transferred = 0

    def tail(self, length: int) -> bytes:
        return self.read(max(0, self.size - length), min(length, self.size))

    def read(self, offset: int, length: int) -> bytes:
        self._file.seek(offset)
        data = self._file.read(length)
        self.transferred += len(data)
        if len(data) != length:
            raise DatasetError(f"{self.name}: the file ends early (byte {offset + len(data)} of "
                               f"an entry reaching {offset + length}): a truncated download?")
        return data

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> FileSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class HttpSource:
    """A dataset ZIP behind a URL whose server honours `Range` (GitHub's asset host does)."""

    def __init__(self, url: str, *, client: httpx.Client | None = None,
                 sleep: Callable[[float], None] = time.sleep, backoff_s: float = 0.2,
                 cancelled: Callable[[], bool] | None = None) -> None:
        self.url = url
        self.name = url.rsplit("/", 1)[-1] or url
        self.size = -1  # learnt from the first answer's Content-Range
        self.transferred = 0
        self.requests = 0
        self._own = client is None
        # identity: a range of a compressed response would not be the file's bytes
        self._client = client or httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity"},
            timeout=httpx.Timeout(30.0, connect=10.0), follow_redirects=True)
        self._sleep, self._backoff_s = sleep, backoff_s
        self._cancelled = cancelled or (lambda: False)

    def close(self) -> None:
        if self._own:
            self._client.close()

    def __enter__(self) -> HttpSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def tail(self, length: int) -> bytes:
        """The last `length` bytes (a suffix range), which also tells the file's size."""
        for attempt in range(RETRIES + 1):
            try:
                data, start = self._get(f"bytes=-{length}", None, length)
            except _Dropped:
                if attempt == RETRIES:
                    raise DatasetError(f"{self.name}: the connection keeps dropping") from None
                self._sleep(self._backoff_s * 2 ** attempt)
                continue
            if self.size < 0:
                self.size = start + len(data)
            return data
        raise AssertionError("unreachable")  # pragma: no cover

    def read(self, offset: int, length: int) -> bytes:
        received = bytearray()
        attempt = 0
        while len(received) < length:
            if self._cancelled():
                raise Cancelled()
            start = offset + len(received)
            try:
                self._get(f"bytes={start}-{offset + length - 1}", start, length - len(received),
                          into=received)
            except _Dropped as exc:
                attempt += 1
                if attempt > RETRIES:
                    raise DatasetError(f"{self.name}: the connection dropped {attempt} times "
                                       f"while downloading ({exc}); run the backfill again to "
                                       "resume") from None
                self._sleep(self._backoff_s * 2 ** (attempt - 1))
        return bytes(received)

    def _get(self, spec: str, start: int | None, length: int,
             into: bytearray | None = None) -> tuple[bytes, int]:
        """One range request; appends what arrived to `into` even when the connection drops."""
        buffer = into if into is not None else bytearray()
        before = len(buffer)
        self.requests += 1
        try:
            with self._client.stream("GET", self.url, headers={"Range": spec}) as response:
                first, expected = self._check(response, start, length)
                for chunk in response.iter_raw():
                    buffer.extend(chunk)
                    self.transferred += len(chunk)
                    if len(buffer) - before > length:
                        raise DatasetError(f"{self.name}: the server sent more than the range "
                                           f"asked for ({spec})")
        except httpx.HTTPStatusError as exc:  # pragma: no cover - raised only by _check
            raise DatasetError(str(exc)) from exc
        except (httpx.TransportError, httpx.StreamError) as exc:
            if isinstance(exc, httpx.ConnectError | httpx.UnsupportedProtocol) \
                    and len(buffer) == before:
                raise DatasetError(f"cannot reach the dataset at {self.url}: {exc}") from exc
            raise _Dropped(type(exc).__name__) from exc
        if len(buffer) - before < expected:
            raise _Dropped("the answer ended early")
        return bytes(buffer[before:]), first

    def _check(self, response: httpx.Response, start: int | None, length: int
               ) -> tuple[int, int]:
        """The first byte of the answer and how many bytes it announces."""
        if response.status_code == 416:
            raise DatasetError(f"{self.name}: the server refused the byte range (is the file "
                               "shorter than its central directory says? a corrupt ZIP)")
        if response.status_code == 404:
            raise DatasetError(f"no dataset at {self.url} (HTTP 404)")
        if response.status_code == 200:
            declared = int(response.headers.get("content-length") or -1)
            if start is None and 0 <= declared <= length:
                self.size = declared  # a file smaller than the probe: the whole of it is fine
                return 0, declared
            raise DatasetError(f"{self.name}: the server ignores Range requests (HTTP 200 for a "
                               "byte range); download the file and pass it with --dataset FILE")
        if response.status_code != 206:
            raise DatasetError(f"{self.name}: HTTP {response.status_code} for a byte range")
        match = CONTENT_RANGE.match(response.headers.get("content-range", ""))
        if match is None:
            raise DatasetError(f"{self.name}: a partial answer without a valid Content-Range")
        first, last, total = int(match.group(1)), int(match.group(2)), match.group(3)
        if total != "*":
            self.size = int(total)
        if start is not None and first != start:
            raise DatasetError(f"{self.name}: the server answered another range than asked "
                               f"({response.headers.get('content-range')})")
        if last - first + 1 > length:
            raise DatasetError(f"{self.name}: the server answered a longer range than asked")
        return first, last - first + 1


class _Dropped(Exception):
    """The connection broke in the middle of a range: resumable."""


def open_source(location: str, *, cancelled: Callable[[], bool] | None = None,
                client: httpx.Client | None = None) -> RangeSource:
    """A local path or an http(s) URL."""
    if re.match(r"^https?://", location, re.IGNORECASE):
        return HttpSource(location, client=client, cancelled=cancelled)
    path = Path(location).expanduser()
    if not path.is_file():
        raise DatasetError(f"no dataset file at {path}")
    return FileSource(path)
