"""The optional JavaScript renderer (watcher_app.render + watcher_app.ui.webrender).

Rendering tests start a real offscreen Chromium (Qt WebEngine) against pages served on
127.0.0.1; they are skipped, with the reason, when PySide6-Addons / PySide6-WebEngine are not
installed. The decision logic and the refusals run everywhere.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from tests.loopback import LoopbackServer, RequestInfo, Route
from watcher_app import render
from watcher_app.extract import extract_document
from watcher_app.fetch import Fetcher, FetchError
from watcher_app.render import (
    RENDERED_BY_HEADER,
    RenderError,
    fetch_or_render,
    render_as_fetch_result,
    render_page,
    renderer_available,
)

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


def test_without_renderer_the_plain_outcome_stands(
        monkeypatch: pytest.MonkeyPatch, no_subprocess: None) -> None:
    monkeypatch.setattr(render, "renderer_available", lambda: (False, "not installed"))
    with LoopbackServer() as server, Fetcher(retries=0, timeout_s=2) as fetcher:
        server.route("/shell", JS_PAGE)
        server.route("/wall", "<title>Just a moment...</title>", status=403)
        plain = fetch_or_render(fetcher, {"url": server.url("/shell"), "select": ["main"]})
        assert b"enable JavaScript" in plain.body and RENDERED_BY_HEADER not in plain.headers
        with pytest.raises(FetchError) as info:
            fetch_or_render(fetcher, {"url": server.url("/wall")})
        assert info.value.reason == "http-403"


def test_a_good_plain_page_is_never_rendered(
        monkeypatch: pytest.MonkeyPatch, no_subprocess: None) -> None:
    monkeypatch.setattr(render, "renderer_available", lambda: (True, "pretend"))
    monkeypatch.delenv(render.RENDER_ENV, raising=False)
    with LoopbackServer() as server, Fetcher(retries=0, timeout_s=2) as fetcher:
        server.route("/ok", PLAIN_PAGE)
        server.route("/gone", status=404)
        fetched = fetch_or_render(fetcher, {"url": server.url("/ok"), "select": ["main"],
                                            "executeClientScripts": True})
        assert fetched.body == PLAIN_PAGE.encode()
        with pytest.raises(FetchError) as info:  # a 404 is not a bot wall: no browser for it
            fetch_or_render(fetcher, {"url": server.url("/gone")})
        assert info.value.reason == "http-404"


def test_the_fallback_can_be_switched_off(
        monkeypatch: pytest.MonkeyPatch, no_subprocess: None) -> None:
    monkeypatch.setattr(render, "renderer_available", lambda: (True, "pretend"))
    monkeypatch.setenv(render.RENDER_ENV, "0")
    with LoopbackServer() as server, Fetcher(retries=0, timeout_s=2) as fetcher:
        server.route("/shell", JS_PAGE)
        assert fetch_or_render(fetcher, {"url": server.url("/shell")}).body == JS_PAGE.encode()


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
def test_an_app_shell_is_rendered_instead_of_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(render.RENDER_ENV, raising=False)  # a suite may switch it off
    with LoopbackServer() as server, Fetcher(retries=0, timeout_s=2) as fetcher:
        server.route("/shell", JS_PAGE)
        fetched = fetch_or_render(fetcher, {"url": server.url("/shell"), "select": ["main"]},
                                  timeout_s=20)
    assert fetched.status == 200 and fetched.content_type == "text/html"
    assert fetched.charset == "utf-8" and fetched.headers[RENDERED_BY_HEADER] == "qtwebengine"
    assert extract_document(fetched.body, ["main"], charset="utf-8").lines[1] == POLICY


@needs_renderer
def test_a_bot_wall_for_non_browsers_is_passed_by_the_browser(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(render.RENDER_ENV, raising=False)
    def wall(request: RequestInfo) -> Route:
        if "GovernanceWatcher" in request.headers.get("user-agent", ""):
            return Route(b"<title>Just a moment...</title>", status=403)
        return Route(JS_PAGE.encode())

    with LoopbackServer() as server, Fetcher(retries=0, timeout_s=2) as fetcher:
        server.handler("/tos", wall)
        fetched = fetch_or_render(fetcher, {"url": server.url("/tos"), "select": ["main"]},
                                  timeout_s=20)
    assert POLICY.encode() in fetched.body
