"""Network and content faults, each through a full check of a document that has a version.

Every fault must leave the history alone (no version, no change, the current version still
current), leave a check row with an outcome and a reason a person can act on, count as a failure
of the document, and not stop polling: the next check of the healthy page is `unchanged`.
Everything runs against the real loopback server on 127.0.0.1 and a real SQLite file.
"""

from __future__ import annotations

import contextlib
import email.utils
import io
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.loopback import LoopbackServer, RequestInfo, Route
from tests.paths import PAGES
from watcher_app.fetch import Fetcher
from watcher_app.monitor import CheckResult, Monitor
from watcher_app.store.models import Change, Check, Document, Snapshot, Version
from watcher_app.watchlist import add_custom

BASE = (PAGES / "base.html").read_bytes()
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")
MAX_BYTES = 15 * 1024 * 1024  # the Fetcher's default cap


@dataclass
class Rig:
    """A document with a first version, a fast fetcher and the sleeps it asked for."""

    server: LoopbackServer
    doc_id: int
    monitor: Monitor
    first: Version
    slept: list[float] = field(default_factory=list)

    @property
    def doc(self) -> Document:
        return Document.get_by_id(self.doc_id)

    def check(self) -> CheckResult:
        return self.monitor.check(self.doc)

    def serve(self, body: bytes | str = BASE, **route: object) -> None:
        self.server.route("/privacy", body, **route)  # type: ignore[arg-type]

    def point_at(self, url: str) -> None:
        doc = self.doc
        doc.sources = [{**doc.sources[0], "url": url}]
        doc.save()


@pytest.fixture
def rig(db, server: LoopbackServer) -> Iterator[Rig]:
    server.route("/privacy", BASE)
    add_custom(db, "acme", {"name": "Acme Cloud", "terms": {
        "Privacy Policy": {"fetch": server.url("/privacy"), "select": "main"}}})
    slept: list[float] = []
    fetcher = Fetcher(retries=1, timeout_s=1, connect_timeout_s=1, backoff_s=0,
                      sleep=slept.append)
    monitor = Monitor(db, fetcher, confirm_delay_s=0, sleep=lambda s: None)
    doc = Document.get()
    first = monitor.check(doc)
    assert first.status == "first", first
    slept.clear()
    yield Rig(server, doc.id, monitor, Version.get_by_id(first.version_id), slept)
    fetcher.close()


def assert_nothing_stored(rig: Rig, result: CheckResult, outcome: str, *words: str) -> Check:
    """The fault was reported (outcome, specific reason) and the history is untouched."""
    assert result.status == outcome, result
    assert result.version_id is None and result.change is None, result
    for word in words:
        assert word.lower() in result.reason.lower(), (word, result.reason)
    # human-readable: a sentence naming what went wrong, not a bare code or a traceback
    assert len(result.reason.split()) >= 3 and "Traceback" not in result.reason, result.reason
    assert Version.select().count() == 1
    assert Change.select().count() == 0
    current = list(Version.select().where(Version.current == True))  # noqa: E712
    assert [v.id for v in current] == [rig.first.id]
    assert (current[0].sha256, current[0].text) == (rig.first.sha256, rig.first.text)
    row = Check.select().order_by(Check.id.desc()).first()
    assert (row.outcome, row.reason, row.version_id) == (outcome, result.reason, None)
    doc = rig.doc
    assert (doc.last_outcome, doc.last_reason) == (outcome, result.reason)
    assert doc.consecutive_failures == 1
    return row


def assert_polling_continues(rig: Rig) -> None:
    """The next check of the healthy page verifies the version the fault left in place."""
    rig.point_at(rig.server.url("/privacy"))
    rig.server.handler("/privacy", lambda info: Route(body=BASE))
    result = rig.check()
    assert result.status == "unchanged", result
    assert result.version_id == rig.first.id and result.reason == "verified: same text"
    assert rig.doc.consecutive_failures == 0 and rig.doc.last_outcome == "verified"
    assert Version.select().count() == 1 and Change.select().count() == 0


def assert_verified_unchanged(rig: Rig, result: CheckResult) -> None:
    """A page that still shows the policy, however oddly served: verified, nothing new."""
    assert result.status == "unchanged", result
    assert result.version_id == rig.first.id and result.sha256 == rig.first.sha256
    assert result.reason == "verified: same text"
    assert Version.select().count() == 1 and Change.select().count() == 0
    assert Version.get_by_id(rig.first.id).current
    row = Check.select().order_by(Check.id.desc()).first()
    assert (row.outcome, row.version_id) == ("verified", rig.first.id)
    assert rig.doc.consecutive_failures == 0


# --- HTTP errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_error_is_retried_then_recorded(rig: Rig, status: int) -> None:
    rig.serve(f"<h1>{status}</h1>", status=status)
    hits = rig.server.hits("/privacy")
    result = rig.check()
    row = assert_nothing_stored(rig, result, "error", f"http-{status}",
                                f"answered HTTP {status}", "/privacy")
    assert row.http_status == status
    assert rig.server.hits("/privacy") - hits == 2  # retries=1: one retry, then it gives up
    assert rig.slept == [0.0]  # backoff_s=0
    assert_polling_continues(rig)


def test_429_honours_retry_after(rig: Rig) -> None:
    rig.serve("slow down", status=429, headers={"Retry-After": "7"})
    result = rig.check()
    row = assert_nothing_stored(rig, result, "error", "http-429", "answered HTTP 429")
    assert row.http_status == 429
    assert rig.slept == [7.0]  # the server's delay, not our backoff
    assert rig.server.hits("/privacy") == 3  # first check, then two attempts
    assert_polling_continues(rig)


def test_503_retry_after_as_http_date(rig: Rig) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    rig.serve("maintenance", status=503, headers={"Retry-After": when})
    result = rig.check()
    assert_nothing_stored(rig, result, "error", "http-503")
    assert len(rig.slept) == 1 and 25 <= rig.slept[0] <= 31, rig.slept
    assert_polling_continues(rig)


def test_429_retry_after_beyond_the_cap_is_not_waited_for(rig: Rig) -> None:
    rig.serve("come back tomorrow", status=429, headers={"Retry-After": "86400"})
    result = rig.check()
    assert_nothing_stored(rig, result, "error", "http-429", "86400 s", "120 s", "retry after")
    assert rig.slept == []  # a day is not slept through inside a check
    assert_polling_continues(rig)


# --- the network --------------------------------------------------------------------------


def test_hang_before_headers_times_out(rig: Rig) -> None:
    rig.serve(BASE, fault="hang")
    clock = time.monotonic()
    result = rig.check()
    elapsed = time.monotonic() - clock
    assert_nothing_stored(rig, result, "error", "timeout", "timed out reading from")
    assert elapsed < 6, elapsed  # two attempts of timeout_s=1, not the 20 s default
    assert rig.slept == [0.0]
    assert_polling_continues(rig)


def test_connect_timeout(rig: Rig) -> None:
    # A listening socket whose accept queue is full: the kernel drops further SYNs, so connect()
    # itself times out, a genuine connect timeout on 127.0.0.1.
    listener = socket.socket()
    fillers: list[socket.socket] = []
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.1)
        rig.point_at(f"http://127.0.0.1:{port}/privacy")
        clock = time.monotonic()
        result = rig.check()
        elapsed = time.monotonic() - clock
    finally:
        for sock in [*fillers, listener]:
            sock.close()
    assert_nothing_stored(rig, result, "error", "timeout", "timed out connecting to")
    assert elapsed < 6, elapsed
    assert_polling_continues(rig)


def test_slow_body_hits_the_attempt_deadline(rig: Rig) -> None:
    rig.serve(BASE, fault="slow-body")  # one byte every 50 ms: no single read ever times out
    clock = time.monotonic()
    result = rig.check()
    elapsed = time.monotonic() - clock
    assert_nothing_stored(rig, result, "error", "timeout", "too slowly")
    assert elapsed < 8, elapsed  # at most (connect + read) s per attempt, two attempts
    assert rig.slept == [0.0]  # a timeout is transient: retried once
    assert_polling_continues(rig)


@contextlib.contextmanager
def stalling_server() -> Iterator[int]:
    """A raw server on 127.0.0.1 that sends honest headers (the real Content-Length of the
    page), half of the page, and then nothing: a read timeout in the middle of the body."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(BASE))
            conn.sendall(BASE[: len(BASE) // 2])
            stop.wait()

    def accept() -> None:
        with contextlib.suppress(OSError):
            while not stop.is_set():
                conn, _ = listener.accept()
                threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()


def test_body_stalling_midway_times_out(rig: Rig) -> None:
    with stalling_server() as port:
        rig.point_at(f"http://127.0.0.1:{port}/privacy")
        clock = time.monotonic()
        result = rig.check()
        elapsed = time.monotonic() - clock
    assert_nothing_stored(rig, result, "error", "timeout", "timed out reading from")
    assert elapsed < 6, elapsed
    assert rig.slept == [0.0]
    assert_polling_continues(rig)


def test_connection_reset(rig: Rig) -> None:
    rig.serve(BASE, fault="reset")
    result = rig.check()
    assert_nothing_stored(rig, result, "error", "connection-reset", "dropped the connection")
    assert rig.server.hits("/privacy") == 3  # a reset is transient: retried once
    assert_polling_continues(rig)


def test_tls_failure(rig: Rig) -> None:
    # https:// to the plain-HTTP loopback server: the handshake gets an HTTP answer back.
    rig.point_at(f"https://127.0.0.1:{rig.server.port}/privacy")
    result = rig.check()
    assert_nothing_stored(rig, result, "error", "tls", "TLS failure with https://127.0.0.1")
    assert_polling_continues(rig)


def test_truncated_body(rig: Rig) -> None:
    rig.serve(BASE, fault="truncate")  # Content-Length promises twice what is sent
    result = rig.check()
    assert_nothing_stored(rig, result, "error", "truncated", "ended early")
    assert Snapshot.select().count() == 1  # the half page is not kept either
    assert_polling_continues(rig)


def test_corrupt_gzip(rig: Rig) -> None:
    rig.serve(BASE, fault="bad-gzip")
    result = rig.check()
    assert_nothing_stored(rig, result, "error", "decode-error", "corrupt compressed body")
    assert_polling_continues(rig)


# --- redirects ----------------------------------------------------------------------------


def test_redirect_loop(rig: Rig) -> None:
    rig.serve("", status=302, headers={"Location": "/moved"})
    rig.server.route("/moved", "", status=301, headers={"Location": rig.server.url("/privacy")})
    result = rig.check()
    assert_nothing_stored(rig, result, "error", "redirect-loop", "redirects back to",
                          "/privacy")
    assert_polling_continues(rig)


def test_endless_redirect_chain(rig: Rig) -> None:
    def onwards(info: RequestInfo) -> Route:
        n = int(info.path.rsplit("/", 1)[1])
        return Route(status=302, headers={"Location": f"/hop/{n + 1}"})

    for n in range(12):
        rig.server.handler(f"/hop/{n}", onwards)
    rig.serve("", status=307, headers={"Location": "/hop/0"})
    result = rig.check()
    assert_nothing_stored(rig, result, "error", "too-many-redirects", "over 5 hops")
    assert_polling_continues(rig)


def test_redirect_to_a_login_page_on_another_host_is_blocked(rig: Rig) -> None:
    login = (f"http://localhost:{rig.server.port}/login?next="
             f"http%3A%2F%2F127.0.0.1%3A{rig.server.port}%2Fprivacy")
    rig.serve("", status=302, headers={"Location": login})
    rig.server.route("/login", "<!doctype html><html><head><title>Sign in</title></head><body>"
                     "<main><h1>Sign in</h1><form><input name=user><input type=password "
                     "name=pw><button>Log in</button></form><p>Forgot your password?</p>"
                     "</main></body></html>")
    result = rig.check()
    row = assert_nothing_stored(rig, result, "blocked", "login page on another host",
                                "localhost", "/login")
    assert row.http_status == 200
    assert rig.server.requests[-1].headers["host"].startswith("localhost")
    assert Snapshot.select().count() == 1  # the login page is not kept as evidence
    assert_polling_continues(rig)


# --- bodies -------------------------------------------------------------------------------


def test_empty_200(rig: Rig) -> None:
    rig.serve(b"")
    result = rig.check()
    assert_nothing_stored(rig, result, "error", "empty", "answered 200 with no body")
    assert_polling_continues(rig)


def _peak_memory_of(rig: Rig) -> tuple[CheckResult, int]:
    tracemalloc.start()
    try:
        result = rig.check()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_30_mb_body_is_refused_with_bounded_memory(rig: Rig, framing: str) -> None:
    big = BASE + b"<!--" + b"x" * (30 * 1024 * 1024) + b"-->"
    headers = {"Transfer-Encoding": "chunked"} if framing == "chunked" else {}
    rig.serve(big, headers=headers)
    result, peak = _peak_memory_of(rig)
    words = ("declares", "cap") if framing == "content-length" else ("sent more than",)
    assert_nothing_stored(rig, result, "error", "too-large", *words)
    assert peak < MAX_BYTES + 8 * 1024 * 1024, peak  # held at most the cap, never the body
    assert rig.server.hits("/privacy") == 2  # too large is final: not retried
    del big
    assert_polling_continues(rig)


def test_gzip_bomb_is_refused_with_bounded_memory(rig: Rig) -> None:
    inflated = 200 * 1024 * 1024
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * (1024 * 1024)
    bomb = packer.compress(b"<!doctype html><html><body><main>")
    bomb += b"".join(packer.compress(zeros) for _ in range(inflated // len(zeros)))
    bomb += packer.flush()
    assert len(bomb) < inflated // 500
    rig.serve(bomb, headers={"Content-Encoding": "gzip"})
    result, peak = _peak_memory_of(rig)
    assert_nothing_stored(rig, result, "error", "too-large", "inflates to more than")
    assert peak < MAX_BYTES + 8 * 1024 * 1024, peak
    assert_polling_continues(rig)


def test_invalid_charset_label_still_reads_the_page(rig: Rig) -> None:
    rig.serve(BASE, content_type="text/html; charset=utf-42")
    result = rig.check()
    assert_verified_unchanged(rig, result)
    assert "\u00a9 Acme" not in Version.get_by_id(rig.first.id).text  # the footer stays out
    assert_polling_continues(rig)


def test_invalid_charset_label_with_non_ascii_text(rig: Rig) -> None:
    """An unusable label must not turn UTF-8 accents into mojibake: the words would change."""
    accented = BASE.replace(b"collects, uses and shares", "collects, uses and shares \u2014 "
                            "donn\u00e9es personnelles \u2014".encode())
    rig.serve(accented)
    assert rig.check().status == "changed"
    expected = Version.select().where(Version.current == True).get()  # noqa: E712
    rig.serve(accented, content_type="text/html; charset=utf-42")
    result = rig.check()
    assert result.status == "unchanged" and result.version_id == expected.id, result
    assert "donn\u00e9es" in expected.text


def test_binary_content_type(rig: Rig) -> None:
    rig.serve(PNG, content_type="image/png")
    result = rig.check()
    assert_nothing_stored(rig, result, "error", "binary-content", "image/png", "not a document")
    assert_polling_continues(rig)


@pytest.mark.parametrize("case", ["empty", "binary", "truncated", "bad-gzip", "too-large"])
def test_body_failures_keep_the_http_status(rig: Rig, case: str) -> None:
    """The server did answer 200: the check row says so even when the body was unusable."""
    if case == "empty":
        rig.serve(b"")
    elif case == "binary":
        rig.serve(PNG, content_type="image/png")
    elif case == "too-large":
        rig.serve(b"x" * (MAX_BYTES + 1), headers={"Transfer-Encoding": "chunked"})
    else:
        rig.serve(BASE, fault=case.replace("truncated", "truncate"))
    result = rig.check()
    assert result.status == "error"
    assert Check.select().order_by(Check.id.desc()).first().http_status == 200


def test_malformed_html_still_yields_the_same_text(rig: Rig) -> None:
    text = BASE.decode("utf-8")
    text = text.replace("<main>", "</div></p></span><div class=wrap><section><main>", 1)
    text = text.replace("</main>", "</main></div></div></div></li></section>", 1)
    text = text.replace("</body></html>", "<div><span><p>")  # never closed
    text = text.replace("<head>", "<head></div>", 1)
    rig.serve(text)
    result = rig.check()
    assert_verified_unchanged(rig, result)
    assert_polling_continues(rig)


def _textless_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("content_type", ["application/pdf", "text/html; charset=utf-8"])
def test_pdf_without_text_is_blocked(rig: Rig, content_type: str) -> None:
    # A PDF served where the HTML was: under its own type, or mislabelled as HTML.
    rig.serve(_textless_pdf(), content_type=content_type)
    result = rig.check()
    assert_nothing_stored(rig, result, "blocked", "PDF", "no text")
    assert_polling_continues(rig)


def test_corrupt_pdf_is_an_error_not_a_crash(rig: Rig) -> None:
    rig.serve(_textless_pdf()[:60], content_type="application/pdf")
    result = rig.check()
    assert_nothing_stored(rig, result, "error", "unreadable PDF")
    assert_polling_continues(rig)


def test_corrupt_pdf_reason_names_the_problem_once(rig: Rig) -> None:
    rig.serve(_textless_pdf()[:60], content_type="application/pdf")
    result = rig.check()
    assert result.reason.count("unreadable PDF") == 1, result.reason


# --- the failure counter --------------------------------------------------------------------


def test_consecutive_failures_count_and_reset(rig: Rig) -> None:
    faults: list[dict[str, object]] = [
        {"status": 503}, {"fault": "reset"}, {"body": b""}, {"status": 429},
        {"body": (PAGES / "blocked-cloudflare.html").read_bytes()}, {"fault": "truncate"},
    ]
    for n, fault in enumerate(faults, 1):
        body = fault.pop("body", BASE)
        rig.serve(body, **fault)  # type: ignore[arg-type]
        result = rig.check()
        assert result.status in ("error", "blocked"), (fault, result)
        assert rig.doc.consecutive_failures == n
        assert Version.get_by_id(rig.first.id).current
    assert Check.select().where(Check.outcome.in_(["error", "blocked"])).count() == len(faults)
    rig.serve(BASE)
    assert rig.check().status == "unchanged"
    assert rig.doc.consecutive_failures == 0
    rig.serve(b"", status=502)
    assert rig.check().status == "error"
    assert rig.doc.consecutive_failures == 1  # counting starts afresh after a recovery
    assert_polling_continues(rig)


# --- faults around the check itself ------------------------------------------------------------


def test_fault_on_the_confirming_fetch_records_nothing(rig: Rig) -> None:
    """The page changed, then the confirming second fetch failed: not believed, not stored."""
    changed = (PAGES / "changed.html").read_bytes()
    answers = iter([Route(body=changed), Route(body=b"down", status=503),
                    Route(body=b"down", status=503)])
    rig.server.handler("/privacy", lambda info: next(answers))
    result = rig.check()
    assert result.status == "unchanged" and result.version_id == rig.first.id, result
    assert "unconfirmed" in result.reason and "http-503" in result.reason, result.reason
    assert Version.select().count() == 1 and Change.select().count() == 0
    assert Version.get_by_id(rig.first.id).current
    rig.server.handler("/privacy", lambda info: Route(body=changed))
    assert rig.check().status == "changed"  # once it holds still, the change is recorded


def test_a_check_does_not_revert_concurrent_edits_of_the_document(rig: Rig) -> None:
    stale = rig.doc  # loaded when the check is scheduled
    # Meanwhile: the user deactivates the document, another writer counts two failures.
    Document.update(active=False, consecutive_failures=2).where(
        Document.id == rig.doc_id).execute()
    rig.serve("down", status=503)
    assert rig.monitor.check(stale).status == "error"
    doc = rig.doc
    assert doc.consecutive_failures == 3
    assert doc.active is False
