"""Fetch layer against a real loopback HTTP server: every success path and every fault.

Timeouts are small and ``sleep`` is a recorder, so retries and backoff are checked without
waiting; the whole file runs in seconds.
"""

from __future__ import annotations

import email.utils
import gzip
import pickle
import socket
import sys
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.loopback import LoopbackServer, RequestInfo, Route
from tests.loopback import loopback as loopback_fixture  # noqa: F401
from watcher_app import __version__
from watcher_app.fetch import DEFAULT_USER_AGENT, Fetcher, FetchError, FetchResult, decode_html

HTML = "<!doctype html><html><head><title>Terms</title></head><body><p>Hi</p></body></html>"
MB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)


@dataclass
class Net:
    """A loopback server plus a fast Fetcher whose sleeps are recorded, not slept."""

    server: LoopbackServer
    fetcher: Fetcher
    sleeps: list[float] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.server.url(path)

    def fail(self, path_or_url: str, reason: str, **kwargs: Any) -> FetchError:
        url = path_or_url if ":" in path_or_url else self.url(path_or_url)
        with pytest.raises(FetchError) as info:
            self.fetcher.fetch(url, **kwargs)
        assert info.value.reason == reason, info.value
        return info.value


@pytest.fixture
def net(loopback: LoopbackServer) -> Iterator[Net]:
    sleeps: list[float] = []
    with Fetcher(timeout_s=0.5, connect_timeout_s=0.5, sleep=sleeps.append) as fetcher:
        yield Net(loopback, fetcher, sleeps)


def flaky(failures: int, route: Route) -> Callable[[RequestInfo], Route]:
    """A handler that answers ``route`` ``failures`` times, then a normal page."""
    calls = [0]

    def answer(_req: RequestInfo) -> Route:
        calls[0] += 1
        return route if calls[0] <= failures else Route(body=HTML.encode())

    return answer


# ------------------------------------------------------------------------ plain success


def test_html_page(net: Net) -> None:
    net.server.route("/tos", HTML, headers={"Content-Language": "en"})
    result = net.fetcher.fetch(net.url("/tos"))
    assert isinstance(result, FetchResult)
    assert (result.url, result.status, result.body) == (net.url("/tos"), 200, HTML.encode())
    assert (result.content_type, result.charset) == ("text/html", "utf-8")
    assert result.headers["content-language"] == "en"  # names lower-cased
    assert not result.not_modified and result.attempts == 1 and result.redirects == ()


def test_honest_user_agent_and_accept_headers(net: Net) -> None:
    net.server.route("/", HTML)
    net.fetcher.fetch(net.url("/"))
    sent = net.server.requests[0].headers
    assert sent["user-agent"] == DEFAULT_USER_AGENT
    assert DEFAULT_USER_AGENT.startswith(f"GovernanceWatcher/{__version__} (+https://")
    assert sent["accept"] == "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.5"
    assert sent["accept-language"] == "en-US,en;q=0.8"
    assert sent["accept-encoding"].startswith("gzip, deflate")


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as the RFC says
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as many servers send
        ("gzip, gzip", lambda b: gzip.compress(gzip.compress(b))),
    ],
)
def test_compressed_bodies(net: Net, encoding: str, compress: Callable[[bytes], bytes]) -> None:
    net.server.route("/z", compress(HTML.encode() * 50), headers={"Content-Encoding": encoding})
    assert net.fetcher.fetch(net.url("/z")).body == HTML.encode() * 50


# ---------------------------------------------------------------------- URL and schemes


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1:{port}/x", "javascript:alert(1)", "data:,x"]
)
def test_non_http_schemes_refused_without_io(
    net: Net, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    def no_network(*_args: object) -> None:
        raise AssertionError("the fetcher touched the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    net.fail(url.format(port=net.server.port), "unsupported-scheme")
    assert net.server.requests == []


@pytest.mark.parametrize("url", ["", "not a url", "http://", "http://exa mple.com/", "//x.org/"])
def test_invalid_urls(net: Net, url: str) -> None:
    with pytest.raises(FetchError) as info:
        net.fetcher.fetch(url)
    assert info.value.reason == "invalid-url"


# ----------------------------------------------------------------------------- redirects


def test_redirect_chain_followed_and_recorded(net: Net) -> None:
    net.server.route("/a", status=301, headers={"Location": "/b"})
    net.server.route("/b", status=302, headers={"Location": net.url("/c")})
    net.server.route("/c", status=307, headers={"Location": "final?x=1"})  # relative to /c
    net.server.route("/final", HTML)
    result = net.fetcher.fetch(net.url("/a"))
    assert result.url == net.url("/final?x=1")
    assert result.redirects == tuple(net.url(p) for p in ("/a", "/b", "/c"))
    assert result.attempts == 4 and result.body == HTML.encode()


def test_redirect_loop(net: Net) -> None:
    net.server.route("/x", status=302, headers={"Location": "/y"})
    net.server.route("/y", status=302, headers={"Location": "/x#again"})  # fragment ignored
    net.fail("/x", "redirect-loop")
    assert net.server.hits("/x") == 1 and net.server.hits("/y") == 1


def test_too_many_redirects(net: Net) -> None:
    for i in range(7):
        net.server.route(f"/r{i}", status=308, headers={"Location": f"/r{i + 1}"})
    net.server.route("/r7", HTML)
    net.fail("/r0", "too-many-redirects")  # 7 hops, max_redirects=5
    assert net.fetcher.fetch(net.url("/r2")).redirects[-1] == net.url("/r6")  # exactly 5


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/", "javascript:x()"])
def test_redirect_to_other_scheme_refused(net: Net, target: str) -> None:
    net.server.route("/jump", status=302, headers={"Location": target})
    net.fail("/jump", "unsupported-scheme")
    assert net.server.hits("/jump") == 1


def test_cross_origin_redirect_drops_credentials(net: Net) -> None:
    other_host = f"http://localhost:{net.server.port}/b"
    net.server.route("/a", status=302, headers={"Location": other_host})
    net.server.route("/b", HTML)
    net.fetcher.fetch(net.url("/a"), extra_headers={"Authorization": "Bearer t", "X-Keep": "1"})
    first, second = net.server.requests
    assert first.headers["authorization"] == "Bearer t"
    assert "authorization" not in second.headers and second.headers["x-keep"] == "1"


# ------------------------------------------------------------------ statuses and retries


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_retried_then_fails(net: Net, status: int) -> None:
    net.server.route("/down", status=status)
    assert net.fail("/down", f"http-{status}").status == status
    assert net.server.hits("/down") == 3  # 1 + retries=2
    assert net.sleeps == [1.0, 2.0]  # backoff_s * 2**n


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_retried_then_recovers(net: Net, status: int) -> None:
    net.server.handler("/flaky", flaky(2, Route(status=status)))
    result = net.fetcher.fetch(net.url("/flaky"))
    assert result.status == 200 and result.attempts == 3 and net.sleeps == [1.0, 2.0]


def test_429_retry_after_seconds(net: Net) -> None:
    net.server.handler("/rl", flaky(1, Route(status=429, headers={"Retry-After": "3"})))
    assert net.fetcher.fetch(net.url("/rl")).attempts == 2
    assert net.sleeps == [3.0]  # the server's wish, not the 1 s backoff


def test_429_retry_after_http_date(net: Net) -> None:
    when = email.utils.formatdate(time.time() + 5, usegmt=True)
    net.server.handler("/rl", flaky(1, Route(status=429, headers={"Retry-After": when})))
    net.fetcher.fetch(net.url("/rl"))
    assert len(net.sleeps) == 1 and 3.0 <= net.sleeps[0] <= 5.0


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_above_cap_fails_fast(net: Net, status: int) -> None:
    net.server.route("/busy", status=status, headers={"Retry-After": "3600"})
    err = net.fail("/busy", f"http-{status}")
    assert net.server.hits("/busy") == 1 and net.sleeps == []
    assert err.retry_after_s == 3600 and "retry after" in err.detail and "UTC" in err.detail


def test_unparseable_retry_after_uses_backoff(net: Net) -> None:
    net.server.route("/busy", status=503, headers={"Retry-After": "soon-ish"})
    net.fail("/busy", "http-503")
    assert net.sleeps == [1.0, 2.0]


# Each row: route options, expected reason, requests made (3 = retried as transient).
FAULTS: list[tuple[str, dict[str, Any], str, int]] = [
    ("404", {"status": 404}, "http-404", 1),
    ("410", {"status": 410}, "http-410", 1),
    ("reset", {"fault": "reset"}, "connection-reset", 3),
    ("truncated", {"body": HTML, "fault": "truncate"}, "truncated", 3),
    ("empty-200", {"body": b""}, "empty", 1),
    ("corrupt-gzip", {"fault": "bad-gzip"}, "decode-error", 1),
    ("gzip-cut-short", {"body": gzip.compress(HTML.encode())[:20],
                        "headers": {"Content-Encoding": "gzip"}}, "decode-error", 1),
    ("unknown-encoding", {"body": b"(\xb5/\xfd", "headers": {"Content-Encoding": "zstd"}},
     "decode-error", 1),
    ("png", {"body": PNG, "content_type": "image/png"}, "binary-content", 1),
    ("octet-stream", {"body": PNG, "content_type": "application/octet-stream"},
     "binary-content", 1),
    ("zip", {"body": b"PK\x03\x04" + bytes(50), "content_type": "application/zip"},
     "binary-content", 1),
    ("unlabelled-binary", {"body": b"\x00\x01\x02bin", "content_type": ""}, "binary-content", 1),
]  # fmt: skip


@pytest.mark.parametrize(("options", "reason", "hits"), [f[1:] for f in FAULTS],
                         ids=[f[0] for f in FAULTS])  # fmt: skip
def test_faults(net: Net, options: dict[str, Any], reason: str, hits: int) -> None:
    net.server.route("/p", **options)
    err = net.fail("/p", reason)
    assert net.server.hits("/p") == hits
    assert net.sleeps == [1.0, 2.0][: hits - 1]
    # The server did answer (2xx for body failures): callers record that status.
    assert err.status == options.get("status", 200 if reason != "connection-reset" else None)


def test_truncated_body_then_recovery(net: Net) -> None:
    net.server.handler("/cut", flaky(1, Route(body=HTML.encode(), fault="truncate")))
    assert net.fetcher.fetch(net.url("/cut")).attempts == 2


# -------------------------------------------------------------------- network failures


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused(net: Net) -> None:
    net.fail(f"http://127.0.0.1:{_closed_port()}/", "connect-failed")
    assert net.sleeps == [1.0, 2.0]  # transient: retried


@pytest.mark.skipif(sys.platform != "linux", reason="relies on Linux dropping SYNs on a full queue")
def test_connect_timeout() -> None:
    # A listener with a full accept queue makes the kernel drop new SYNs: connect() hangs.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        fillers = [socket.socket() for _ in range(4)]
        for sock in fillers:
            sock.setblocking(False)
            sock.connect_ex(listener.getsockname())
        try:
            with Fetcher(connect_timeout_s=0.3, timeout_s=0.3, retries=0) as fetcher:
                started = time.monotonic()
                with pytest.raises(FetchError, match="timed out connecting") as info:
                    fetcher.fetch(f"http://127.0.0.1:{listener.getsockname()[1]}/")
                assert info.value.reason == "timeout" and time.monotonic() - started < 3
        finally:
            for sock in fillers:
                sock.close()


def test_read_timeout_on_hang(loopback: LoopbackServer) -> None:
    loopback.route("/hang", fault="hang")
    sleeps: list[float] = []
    with Fetcher(timeout_s=0.3, connect_timeout_s=0.3, retries=1, sleep=sleeps.append) as f:
        started = time.monotonic()
        Net(loopback, f).fail("/hang", "timeout")
    assert time.monotonic() - started < 3 and loopback.hits("/hang") == 2 and sleeps == [1.0]


def test_slow_body_hits_the_timeout(loopback: LoopbackServer) -> None:
    # One byte every 50 ms never trips a per-read timeout; the per-attempt cap must.
    loopback.route("/slow", "<p>", fault="slow-body")
    with Fetcher(timeout_s=0.5, connect_timeout_s=0.2, retries=0) as fetcher:
        started = time.monotonic()
        Net(loopback, fetcher).fail("/slow", "timeout")
    assert 0.5 <= time.monotonic() - started < 3


# ----------------------------------------------------------------- size and decompression


def _peak_during(action: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        action()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_30mb_body_refused_with_bounded_memory(net: Net, chunked: bool) -> None:
    headers = {"Transfer-Encoding": "chunked"} if chunked else {}
    net.server.route("/big", b"a" * (30 * MB), headers=headers)  # allocated before tracing
    assert _peak_during(lambda: net.fail("/big", "too-large")) < 20 * MB


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """~100 KB of gzip that inflates to 100 MB of zeros, built without holding 100 MB."""
    packer, zeros = zlib.compressobj(9, zlib.DEFLATED, 31), bytes(MB)
    return b"".join(packer.compress(zeros) for _ in range(100)) + packer.flush()


@pytest.mark.parametrize("layers", [1, 2])
def test_gzip_bomb_refused_with_bounded_memory(net: Net, gzip_bomb: bytes, layers: int) -> None:
    body = gzip_bomb if layers == 1 else gzip.compress(gzip_bomb, 9)
    if layers == 2:
        assert len(body) < 10 * 1024  # the brief's "10 KB gzip that inflates to 100 MB"
    net.server.route("/bomb", body, headers={"Content-Encoding": ", ".join(["gzip"] * layers)})
    peak = _peak_during(lambda: net.fail("/bomb", "too-large"))
    assert peak < 20 * MB


# ------------------------------------------------------------------------ content types


@pytest.mark.parametrize("ctype", ["application/octet-stream", "text/html", ""])
def test_pdf_magic_wins(net: Net, ctype: str) -> None:
    net.server.route("/doc", b"%PDF-1.7\n...", content_type=ctype)
    assert net.fetcher.fetch(net.url("/doc")).content_type == "application/pdf"


@pytest.mark.parametrize(
    ("ctype", "expected"),
    [
        ("application/xhtml+xml; charset=UTF-8", "application/xhtml+xml"),
        ("TEXT/PLAIN", "text/plain"),
        ("application/pdf", "application/pdf"),
        ("application/rss+xml", "application/rss+xml"),
        ("", "text/html"),  # no header: sniffed
    ],
)
def test_document_types_accepted(net: Net, ctype: str, expected: str) -> None:
    net.server.route("/doc", HTML, content_type=ctype)
    assert net.fetcher.fetch(net.url("/doc")).content_type == expected


# ------------------------------------------------------------ conditional GET, politeness


def test_conditional_get(net: Net) -> None:
    stamp = "Wed, 01 Jan 2025 00:00:00 GMT"

    def answer(req: RequestInfo) -> Route:
        if req.headers.get("if-none-match") == '"v1"':
            return Route(status=304, headers={"ETag": '"v1"'})
        return Route(body=HTML.encode(), headers={"ETag": '"v1"', "Last-Modified": stamp})

    net.server.handler("/tos", answer)
    first = net.fetcher.fetch(net.url("/tos"))
    assert first.headers["etag"] == '"v1"' and not first.not_modified
    assert "if-none-match" not in net.server.requests[0].headers
    again = net.fetcher.fetch(net.url("/tos"), etag='"v1"', last_modified=stamp)
    assert again.not_modified and again.status == 304 and again.body == b""
    sent = net.server.requests[1].headers
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == stamp


def _fetch_in_parallel(urls: list[str]) -> None:
    """Fetch ``urls`` from parallel threads, each with its own Fetcher (locks are global)."""

    def run(url: str) -> None:
        with Fetcher(timeout_s=5) as fetcher:
            fetcher.fetch(url)

    threads = [threading.Thread(target=run, args=(u,)) for u in urls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)


def test_same_host_serialised_other_hosts_parallel(loopback: LoopbackServer) -> None:
    spans: list[tuple[float, float]] = []

    def slow(_req: RequestInfo) -> Route:
        start = time.monotonic()
        time.sleep(0.3)
        spans.append((start, time.monotonic()))
        return Route(body=HTML.encode())

    loopback.handler("/slow", slow)
    same = loopback.url("/slow")
    _fetch_in_parallel([same, same])
    (_a_start, a_end), (b_start, _b_end) = sorted(spans)
    assert a_end <= b_start, "two requests to one host overlapped"

    spans.clear()
    _fetch_in_parallel([same, f"http://localhost:{loopback.port}/slow"])  # two host names
    (_a_start, a_end), (b_start, _b_end) = sorted(spans)
    assert b_start < a_end, "requests to different hosts did not run in parallel"


def test_fetch_error_is_informative_and_picklable() -> None:
    err = FetchError("http-503", "down for maintenance", 503)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.reason, copy.detail, copy.status) == ("http-503", "down for maintenance", 503)
    assert str(err) == "http-503: down for maintenance"


# ------------------------------------------------------------------------- decode_html

PAGE_1252 = "<p>We don’t sell “personal data” — ever. Naïve café façade, señor; © 2025 Zürich.</p>"


@pytest.mark.parametrize(
    ("body", "charset", "expected"),
    [
        ("<p>Привет</p>".encode("koi8-r"), "KOI8-R", "<p>Привет</p>"),  # header wins
        ('<meta charset="windows-1251"><p>Привет</p>'.encode("cp1251"), None, "Привет"),
        (b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-2">'
         + "<p>Łódź</p>".encode("iso-8859-2"), None, "Łódź"),
        ("\ufeff<p>Grüße</p>".encode(), None, "<p>Grüße</p>"),  # UTF-8 BOM, stripped
        ("\ufeff<p>Grüße</p>".encode("utf-16-le"), None, "<p>Grüße</p>"),
        ("\ufeff<p>Grüße</p>".encode(), "windows-1252", "<p>Grüße</p>"),  # BOM beats label
        (PAGE_1252.encode("cp1252"), None, PAGE_1252),  # no declaration at all
        ("<p>café</p>".encode(), None, "<p>café</p>"),  # strict UTF-8
        ("<p>café ’</p>".encode("cp1252"), "iso-8859-1", "<p>café ’</p>"),  # WHATWG alias
        # Invalid labels fall through: header -> meta -> ... -> strict UTF-8.
        ("<p>café</p>".encode(), "utf-42", "<p>café</p>"),
        ('<meta charset="utf-42"><p>café</p>'.encode(), "base64", "café"),
        ('<meta charset="utf-42"><meta charset="cp1252"><p>caf\xe9</p>'.encode("cp1252"), None,
         "café"),
    ],
)  # fmt: skip
def test_decode_html(body: bytes, charset: str | None, expected: str) -> None:
    text = decode_html(body, charset)
    assert expected in text and "\ufeff" not in text


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600), st.one_of(st.none(), st.text(max_size=12)))
def test_decode_html_never_raises(body: bytes, charset: str | None) -> None:
    assert isinstance(decode_html(body, charset), str)
