"""The optional JavaScript renderer (watcher_app.render + watcher_app.ui.webrender) and the
capture's decision to use it (capture.py reads a page once and renders only when its own
verdict says a browser may help).

Rendering tests start a real offscreen Chromium (Qt WebEngine) against pages served on
127.0.0.1; they are skipped, with the reason, when PySide6-Addons / PySide6-WebEngine are not
installed. The decision logic and the refusals run everywhere (there the browser is replaced
by a function returning its answer, since starting one is what is being decided).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import peewee
import pytest

from tests.loopback import LoopbackServer, RequestInfo, Route
from watcher_app import render
from watcher_app.capture import Capture, capture_document
from watcher_app.extract import extract_document
from watcher_app.fetch import Fetcher, FetchError, FetchResult
from watcher_app.outcomes import Code, Outcome
from watcher_app.render import (
    RENDERED_BY_HEADER,
    RenderError,
    render_as_fetch_result,
    render_page,
    renderer_available,
)
from watcher_app.store.models import Document
from watcher_app.validate import Problem
from watcher_app.watchlist import add_custom

AVAILABLE, WHY = renderer_available()
needs_renderer = pytest.mark.skipif(not AVAILABLE, reason=f"no JavaScript renderer: {WHY}")

POLICY = ("We collect the information you give us when you create an account, the content you "
          "upload, and technical data about your device. We use it to provide and improve the "
          "service, to keep it safe, and to meet our legal obligations. You can ask us to "
          "delete your data at any time from the settings page.")
# The policy exists only once the script has run: a plain fetch sees an empty shell.
JS_PAGE = f"""<!doctype html><html><head><title>Privacy</title></head><body>
<noscript>You need to enable JavaScript to run this app.</noscript><div id=root></div>
<script>setTimeout(() => {{ document.getElementById('root').innerHTML =
  '<main><h1>Privacy Policy</h1><p>{POLICY}</p></main>'; document.title = 'Privacy Policy'; }},
  200);</script></body></html>"""
PLAIN_PAGE = f"<html><body><main><h1>Privacy Policy</h1><p>{POLICY}</p></main></body></html>"


@pytest.fixture
def no_subprocess(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("no browser may be started here")

    monkeypatch.setattr(subprocess, "Popen", refuse)


# ------------------------------------------------------------------------ runs everywhere

def test_missing_webengine_is_reported_with_the_install_command(
        monkeypatch: pytest.MonkeyPatch, no_subprocess: None) -> None:
    monkeypatch.setattr(render.importlib.util, "find_spec", lambda name, *a: None)
    usable, why = renderer_available()
    assert not usable
    assert "pip install governance-watcher[browser]" in why
    with pytest.raises(RenderError) as info:
        render_page("https://example.org/privacy")
    assert info.value.reason == "renderer-unavailable"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)", "ftp://x.org/a",
                                 "--timeout=1", "about:blank", "", "http:///no-host"])
def test_only_http_urls_are_rendered(url: str, no_subprocess: None) -> None:
    with pytest.raises(RenderError) as info:
        render_page(url)
    assert info.value.reason in ("unsupported-scheme", "invalid-url")


def capture_of(db: peewee.Database, url: str, **source: object) -> Capture:
    """One document with one source at `url`, captured with a fetcher that never retries."""
    decl = {"fetch": url, "select": "main", **source}
    add_custom(db, f"acme{len(Document.select())}", {"name": "Acme", "terms": {
        "Privacy Policy": decl}})
    doc = Document.select().order_by(Document.id.desc()).get()
    with Fetcher(retries=0, timeout_s=2) as fetcher:
        return capture_document(fetcher, doc)


def rendered_as(html: str) -> Callable[..., FetchResult]:
    """Stands in for the browser (a subprocess with Chromium) where only the decision is
    tested: what a rendering returns, shaped as render_as_fetch_result shapes it."""
    def fake(url: str, **kwargs: object) -> FetchResult:
        return FetchResult(url=url, status=200, headers={RENDERED_BY_HEADER: "qtwebengine"},
                           body=html.encode(), content_type="text/html", charset="utf-8",
                           not_modified=False, elapsed_s=0.0, attempts=1, redirects=())
    return fake


def test_without_renderer_the_plain_outcome_stands(
        db: peewee.Database, monkeypatch: pytest.MonkeyPatch, no_subprocess: None) -> None:
    monkeypatch.setattr(render, "renderer_available", lambda: (False, "not installed"))
    monkeypatch.delenv(render.RENDER_ENV, raising=False)
    with LoopbackServer() as server:
        server.route("/shell", JS_PAGE)
        server.route("/wall", "<title>Just a moment...</title>", status=403)
        shell = capture_of(db, server.url("/shell"))
        assert shell.problem is not None and shell.problem.code == Code.APP_SHELL
        assert RENDERED_BY_HEADER not in shell.sources[0].headers
        wall = capture_of(db, server.url("/wall"))
        assert wall.problem is not None and wall.problem.code == "http-403"


def test_a_good_plain_page_is_never_rendered(
        db: peewee.Database, monkeypatch: pytest.MonkeyPatch, no_subprocess: None) -> None:
    monkeypatch.setattr(render, "renderer_available", lambda: (True, "pretend"))
    monkeypatch.delenv(render.RENDER_ENV, raising=False)
    with LoopbackServer() as server:
        server.route("/ok", PLAIN_PAGE)
        server.route("/gone", status=404)
        good = capture_of(db, server.url("/ok"), executeClientScripts=True)
        assert good.problem is None and good.sources[0].body == PLAIN_PAGE.encode()
        gone = capture_of(db, server.url("/gone"))  # a 404 is not a bot wall: no browser
        assert gone.problem is not None and gone.problem.code == "http-404"


def test_the_fallback_can_be_switched_off(
        db: peewee.Database, monkeypatch: pytest.MonkeyPatch, no_subprocess: None) -> None:
    monkeypatch.setattr(render, "renderer_available", lambda: (True, "pretend"))
    monkeypatch.setenv(render.RENDER_ENV, "0")
    with LoopbackServer() as server:
        server.route("/shell", JS_PAGE)
        shell = capture_of(db, server.url("/shell"))
    assert shell.problem is not None and shell.sources[0].body == JS_PAGE.encode()


def test_a_blocked_page_is_read_once_and_its_rendering_once(
        db: peewee.Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """One pass: the capture's own verdict on the plain page decides that a browser is
    needed; neither page is extracted or validated twice."""
    import watcher_app.capture as capture

    monkeypatch.setattr(render, "renderer_available", lambda: (True, "pretend"))
    monkeypatch.delenv(render.RENDER_ENV, raising=False)
    monkeypatch.setattr(render, "render_as_fetch_result", rendered_as(PLAIN_PAGE))
    calls = {"extract": 0, "validate": 0}

    def counted(name: str, func: Callable[..., object]) -> Callable[..., object]:
        def wrapper(*args: object, **kwargs: object) -> object:
            calls[name] += 1
            return func(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(capture, "extract_document",
                        counted("extract", capture.extract_document))
    monkeypatch.setattr(capture, "validate_source", counted("validate", capture.validate_source))
    with LoopbackServer() as server:
        server.route("/shell", JS_PAGE)
        cap = capture_of(db, server.url("/shell"))
    assert cap.problem is None and cap.lines == ["# Privacy Policy", POLICY]
    assert cap.sources[0].headers[RENDERED_BY_HEADER] == "qtwebengine"
    assert calls == {"extract": 2, "validate": 2}  # the plain page, then the rendering


def test_a_refused_fetch_is_rendered_and_read_once(
        db: peewee.Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "renderer_available", lambda: (True, "pretend"))
    monkeypatch.delenv(render.RENDER_ENV, raising=False)
    monkeypatch.setattr(render, "render_as_fetch_result", rendered_as(PLAIN_PAGE))
    with LoopbackServer() as server:
        server.route("/wall", "<title>Just a moment...</title>", status=403)
        cap = capture_of(db, server.url("/wall"))
        assert cap.problem is None and cap.lines[1] == POLICY
        monkeypatch.setattr(render, "render_as_fetch_result", rendered_as("<html></html>"))
        empty = capture_of(db, server.url("/wall"))  # the browser saw nothing either
    assert empty.problem is not None and empty.problem.code == "http-403"


@pytest.mark.parametrize(("code", "declared", "helps"), [
    (Code.CHALLENGE, False, True), (Code.APP_SHELL, False, True),
    (Code.TOO_LITTLE_TEXT, False, True), (Code.LOGIN_WALL, False, False),
    (Code.SOFT_404, False, False), (Code.SOFT_404, True, True)])
def test_when_a_browser_may_help(code: str, declared: bool, helps: bool) -> None:
    source = {"url": "https://x.example/p", "executeClientScripts": declared}
    assert render.may_help(source, Problem(Outcome.BLOCKED, "r", code)) is helps
    assert not render.may_help(source, Problem(Outcome.ERROR, "r", Code.UNREADABLE))
    assert render.may_help_error(source, "http-403")
    assert render.may_help_error(source, "http-503") is declared
    assert not render.may_help_error(source, "http-404")


# --------------------------------------------------------------- needs Qt WebEngine

@needs_renderer
def test_policy_built_by_javascript_is_rendered_and_extracted() -> None:
    with LoopbackServer() as server:
        server.route("/p", JS_PAGE)
        url = server.url("/p")
        page = render_page(url, timeout_s=20)
    assert page.url == url and page.title == "Privacy Policy" and page.settled
    assert "delete your data at any time" in page.html
    lines = extract_document(page.html, ["main"]).lines
    assert lines == ["# Privacy Policy", POLICY]


@needs_renderer
def test_wait_selector_and_user_agent() -> None:
    with LoopbackServer() as server:
        server.route("/p", JS_PAGE)
        page = render_page(server.url("/p"), timeout_s=20, user_agent="PolicyBot/1.0 (test)",
                           wait_selector="main p")
        assert server.requests[-1].headers["user-agent"] == "PolicyBot/1.0 (test)"
    assert POLICY in page.html


@needs_renderer
def test_a_page_that_never_loads_times_out_with_a_reason() -> None:
    with LoopbackServer() as server:
        server.route("/hang", fault="hang")
        started = time.monotonic()
        with pytest.raises(RenderError) as info:
            render_page(server.url("/hang"), timeout_s=3)
        elapsed = time.monotonic() - started
    assert info.value.reason == "timeout"
    assert "did not load within 3 s" in info.value.detail
    assert elapsed < 3 + render.EXIT_GRACE_S


@needs_renderer
def test_http_errors_are_errors() -> None:
    with LoopbackServer() as server:
        server.route("/gone", "<html><body><h1>Not here</h1></body></html>", status=404)
        with pytest.raises(FetchError) as info:  # the FetchResult shape speaks FetchError
            render_as_fetch_result(server.url("/gone"), timeout_s=20)
    assert info.value.reason == "http-404" and info.value.status == 404


@needs_renderer
def test_an_app_shell_is_rendered_instead_of_stored(db: peewee.Database,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(render.RENDER_ENV, raising=False)  # a suite may switch it off
    with LoopbackServer() as server:
        server.route("/shell", JS_PAGE)
        cap = capture_of(db, server.url("/shell"))
    fetched = cap.sources[0]
    assert fetched.status == 200 and fetched.content_type == "text/html"
    assert fetched.headers[RENDERED_BY_HEADER] == "qtwebengine"
    assert cap.problem is None and cap.lines[1] == POLICY


@needs_renderer
def test_a_bot_wall_for_non_browsers_is_passed_by_the_browser(
        db: peewee.Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(render.RENDER_ENV, raising=False)
    def wall(request: RequestInfo) -> Route:
        if "GovernanceWatcher" in request.headers.get("user-agent", ""):
            return Route(b"<title>Just a moment...</title>", status=403)
        return Route(JS_PAGE.encode())

    with LoopbackServer() as server:
        server.handler("/tos", wall)
        cap = capture_of(db, server.url("/tos"))
    assert cap.problem is None and POLICY.encode() in (cap.sources[0].body or b"")
