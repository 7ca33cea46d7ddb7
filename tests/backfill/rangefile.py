"""A file served by the loopback server with HTTP Range requests, counting the bytes it sent.

    served = RangeFile(data)
    server.handler("/dataset.zip", served)
    served.sent          # body bytes written to clients
    served.drop = lambda start, length: 1000   # send 1000 bytes of this answer, then hang up

Implements what a client of GitHub's asset host relies on: `bytes=a-b`, `bytes=a-` and suffix
`bytes=-n` ranges answered 206 with Content-Range, 416 beyond the end, 200 without a Range
header (or when `honour_ranges` is off).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from tests.loopback import RequestInfo, Route

RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeFile:
    def __init__(self, data: bytes, *, honour_ranges: bool = True) -> None:
        self.data = data
        self.honour_ranges = honour_ranges
        self.sent = 0
        self.ranges: list[tuple[int, int]] = []  # (start, length) of every answer
        # (start, length) -> how many bytes to send before dropping the connection (None: all)
        self.drop: Callable[[int, int], int | None] = lambda start, length: None
        self._lock = threading.Lock()

    def reset_counts(self) -> None:
        with self._lock:
            self.sent = 0
            self.ranges = []

    def __call__(self, request: RequestInfo) -> Route:
        size = len(self.data)
        header = request.headers.get("range")
        match = RANGE.match(header.strip()) if header else None
        if not self.honour_ranges or match is None:
            return self._answer(Route(body=self.data, content_type="application/zip"), 0)
        first, last = match.groups()
        if first == "":  # suffix: the last n bytes
            start = max(0, size - int(last))
            end = size - 1
        else:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        if start >= size or start > end:
            return Route(status=416, headers={"Content-Range": f"bytes */{size}"},
                         content_type="text/plain")
        body = self.data[start:end + 1]
        route = Route(body=body, status=206, content_type="application/zip",
                      headers={"Content-Range": f"bytes {start}-{end}/{size}",
                               "Accept-Ranges": "bytes"})
        return self._answer(route, start)

    def _answer(self, route: Route, start: int) -> Route:
        cut = self.drop(start, len(route.body))
        if cut is not None and cut < len(route.body):
            # the "truncate" fault writes these bytes, announces more and closes the connection
            route = Route(body=route.body[:cut], status=route.status, headers=route.headers,
                          content_type=route.content_type, fault="truncate")
        with self._lock:
            self.sent += len(route.body)
            self.ranges.append((start, len(route.body)))
        return route
