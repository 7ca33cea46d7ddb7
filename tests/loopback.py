"""A real HTTP server on 127.0.0.1 for tests, with scriptable answers and network faults.

Tests talk to it through a real socket so the whole client stack (httpx, h11, sockets, our
decoders) is exercised; faults are produced at the socket level because that is where the
real world breaks. Usage::

    with LoopbackServer() as server:
        server.route("/tos", "<html>...</html>")
        server.route("/gone", status=404)
        server.route("/flaky", fault="reset")
        server.handler("/cond", lambda req: Route(status=304) if req.headers.get(
            "if-none-match") == '"v1"' else Route(body=b"new", headers={"ETag": '"v1"'}))

Other test modules get a fresh server per test with ``from tests.loopback import loopback``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import socketserver
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

FAULTS = (None, "reset", "truncate", "hang", "slow-body", "bad-gzip")
# A gzip header followed by a deflate block of the reserved type 3: zlib rejects it at once.
BAD_GZIP = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\xff" * 32
SLOW_BODY_INTERVAL_S = 0.05  # one byte per interval: faster than any per-read timeout


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"
    fault: str | None = None  # one of FAULTS


@dataclass(frozen=True)
class RequestInfo:
    method: str
    path: str  # the request target as sent, query string included
    headers: dict[str, str]  # names lower-cased


def _path_only(target: str) -> str:
    return target.split("?", 1)[0]


def _is_chunked(headers: dict[str, str]) -> bool:
    return any(
        k.lower() == "transfer-encoding" and "chunked" in v.lower() for k, v in headers.items()
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung handler must never keep the test process alive
    block_on_close = False
    owner: LoopbackServer

    def server_bind(self) -> None:
        """Skip HTTPServer's reverse-DNS lookup of the address: tests run offline."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-answer are expected in these tests; stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and Content-Length semantics, like real servers
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.owner._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the per-request stderr log."""

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

    def _dispatch(self) -> None:
        owner = self.server.owner
        info = RequestInfo(self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)  # drain a request body so keep-alive stays in sync
        try:
            route = owner._answer(info)
        except Exception as exc:  # a broken test handler should show up as a 500, not a hang
            route = Route(body=f"handler failed: {exc!r}".encode(), status=500)
        try:
            self._send(route)
        except OSError:
            self.close_connection = True  # the client gave up on us: fine, that is the test

    def _head(self, route: Route, length: int | None, extra: dict[str, str] | None = None) -> None:
        self.send_response(route.status)
        headers = {**route.headers, **(extra or {})}
        names = {k.lower() for k in headers}
        if route.content_type and "content-type" not in names:
            self.send_header("Content-Type", route.content_type)
        if length is not None and not _is_chunked(headers) and "content-length" not in names:
            self.send_header("Content-Length", str(length))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _send(self, route: Route) -> None:
        stop = self.server.owner._stopped
        if route.fault == "reset":
            # SO_LINGER 0 makes close() send an RST instead of a polite FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            os.close(self.connection.detach())
            self.close_connection = True
        elif route.fault == "hang":
            stop.wait()
            self.close_connection = True
        elif route.fault == "truncate":
            self._head(route, None, {"Content-Length": str(len(route.body) * 2 + 100)})
            self.wfile.write(route.body)
            self.close_connection = True
        elif route.fault == "slow-body":
            # Chunked, one byte per chunk: a well-formed body that simply never ends.
            self._head(route, None, {"Transfer-Encoding": "chunked"})
            data, i = route.body or b"x", 0
            while not stop.wait(SLOW_BODY_INTERVAL_S):
                self.wfile.write(b"1\r\n" + data[i % len(data) : i % len(data) + 1] + b"\r\n")
                i += 1
            self.close_connection = True
        elif route.fault == "bad-gzip":
            self._head(route, len(BAD_GZIP), {"Content-Encoding": "gzip"})
            self.wfile.write(BAD_GZIP)
        else:
            no_body = self.command == "HEAD" or route.status in (204, 304) or route.status < 200
            self._head(route, None if route.status in (204, 304) else len(route.body))
            if no_body:
                return
            if _is_chunked(route.headers):
                self._send_chunked(route.body)
            else:
                self.wfile.write(route.body)

    def _send_chunked(self, body: bytes) -> None:
        view = memoryview(body)
        for start in range(0, len(view), 64 * 1024):
            piece = view[start : start + 64 * 1024]
            self.wfile.write(b"%x\r\n" % len(piece))
            self.wfile.write(piece)
            self.wfile.write(b"\r\n")
        self.wfile.write(b"0\r\n\r\n")


class LoopbackServer:
    """Threaded HTTP server on 127.0.0.1:<free port>; unknown paths answer 404. `host` may be
    another loopback address (127.0.0.2 …): a separate host to the fetcher's per-host limits."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.requests: list[RequestInfo] = []
        self._routes: dict[str, Route] = {}
        self._handlers: dict[str, Callable[[RequestInfo], Route]] = {}
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._stopped = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> LoopbackServer:
        self._stopped.clear()
        server = _Server((self.host, 0), _Handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection, releasing hung/slow handlers too."""
        self._stopped.set()
        if self._server is None:
            return
        self._server.shutdown()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)  # wakes a handler blocked in recv/send
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- configuration ---------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}/{path.lstrip('/')}"

    def route(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str = "text/html; charset=utf-8",
        fault: str | None = None,
    ) -> None:
        """Serve a fixed answer at ``path`` (matched without its query string if needed)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; expected one of {FAULTS}")
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self._routes[path] = Route(data, status, dict(headers or {}), content_type, fault)

    def handler(self, path: str, func: Callable[[RequestInfo], Route]) -> None:
        """Answer ``path`` dynamically: ``func`` runs on the server thread for each request."""
        with self._lock:
            self._handlers[path] = func

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if path in (r.path, _path_only(r.path)))

    # -- server side -----------------------------------------------------------------------
    def _answer(self, info: RequestInfo) -> Route:
        keys = (info.path, _path_only(info.path))
        with self._lock:
            self.requests.append(info)
            func = next((self._handlers[k] for k in keys if k in self._handlers), None)
            route = next((self._routes[k] for k in keys if k in self._routes), None)
        if func is not None:
            route = func(info)  # outside the lock: handlers may sleep to mimic slow hosts
            if route.fault not in FAULTS:
                raise ValueError(f"unknown fault {route.fault!r}")
        return route or Route(body=b"not found", status=404, content_type="text/plain")

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)


@pytest.fixture(name="loopback")
def loopback() -> Iterator[LoopbackServer]:
    """A started LoopbackServer, stopped after the test.

    The explicit name lets a test module import it under an alias, which keeps ruff's F811
    quiet when tests take ``loopback`` as a parameter::

        from tests.loopback import loopback as loopback_fixture  # noqa: F401
    """
    with LoopbackServer() as server:
        yield server
