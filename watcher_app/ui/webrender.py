"""Render one page in an offscreen Qt WebEngine and print its DOM as JSON (run as a subprocess).

    python -m watcher_app.ui.webrender URL [--timeout S] [--user-agent UA] [--wait-selector CSS]

Prints exactly one JSON line on stdout: ``{"status": "ok", "url", "html", "title",
"http_status", "settled", "elapsed_s"}`` or ``{"status": "error", "reason", "detail"}``.
The core runs this in a child process (watcher_app.render) so a Chromium crash, hang or memory
blow-up can never take the watcher down, and the core never imports Qt WebEngine.

Exits within ``--timeout`` whatever the page does: a soft deadline a little before it takes the
best DOM available, and a watchdog thread prints an error and kills the process at the timeout
itself (a page stuck in an infinite loop never answers runJavaScript, so Qt cannot be trusted to
get there on its own).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from typing import Any

FLAGS_ENV = "QTWEBENGINE_CHROMIUM_FLAGS"
# The GPU is useless offscreen and a frequent crash cause.
ALWAYS_FLAGS = ("--disable-gpu",)
# Chromium refuses to start its sandbox as root, and only then may it go: the sandbox is what
# keeps a hostile page's renderer exploit inside the renderer.
ROOT_FLAGS = ("--no-sandbox",)


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def chromium_flags(existing: str | None, *, as_root: bool) -> str:
    """The Chromium flags to start with: the user's own, plus ours, with --no-sandbox only
    for root (a --no-sandbox the user set themselves is theirs to keep)."""
    flags = (existing or "").split()
    wanted = ALWAYS_FLAGS + (ROOT_FLAGS if as_root else ())
    return " ".join(flags + [f for f in wanted if f not in flags])


# Qt reads these when it starts, so they must be set before the first Qt import.
os.environ[FLAGS_ENV] = chromium_flags(os.environ.get(FLAGS_ENV), as_root=running_as_root())
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shiboken6  # noqa: E402
from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, QUrl  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtWebEngineCore import (  # noqa: E402
    QWebEngineLoadingInfo,
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineScript,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)

from watcher_app.netguard import host_class  # noqa: E402

POLL_MS = 150
QUIET_S = 0.5  # DOM text, ready state and finished requests unchanged this long: settled
QUIET_NEAR_EMPTY_S = 2.0  # an app shell often shows nothing while its data request is in flight
NEAR_EMPTY_CHARS = 200
MAX_HTML_CHARS = 15 * 1024 * 1024  # the same cap as the plain fetcher's body limit
ERR_ABORTED = -3  # Chromium's code for a navigation replaced by a newer one: not a failure
_WORLD = QWebEngineScript.ScriptWorldId.ApplicationWorld  # the page's own JS cannot tamper

_POLL_JS = """(() => {
  const d = document, b = d.body, sel = %s;
  let m = null;
  if (sel) { try { m = !!d.querySelector(sel); } catch (e) { m = 'bad'; } }
  return JSON.stringify([d.readyState, b ? (b.innerText || '').length : 0,
                         performance.getEntriesByType('resource').length, m]);
})()"""
# Results come back as JSON text: PySide6 6.12 turns JS arrays and objects into '' (a
# QVariant conversion gap), while strings always survive.
_SNAPSHOT_JS = """(() => {
  const d = document, dt = d.doctype;
  const head = dt ? new XMLSerializer().serializeToString(dt) + '\\n' : '';
  return JSON.stringify({html: head + d.documentElement.outerHTML, title: d.title,
                         url: location.href});
})()"""


def _decoded(result: Any) -> Any:
    try:
        return json.loads(result) if isinstance(result, str) and result else None
    except ValueError:
        return None


class _Output:
    """Exactly one JSON line, whichever of the event loop or the watchdog gets there first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.done = False
        self.ok = False

    def emit(self, payload: dict[str, Any]) -> bool:
        with self._lock:
            if self.done:
                return False
            sys.stdout.write(json.dumps(payload) + "\n")  # ASCII: safe in any console encoding
            sys.stdout.flush()
            self.done, self.ok = True, payload.get("status") == "ok"
            return True


class _Page(QWebEnginePage):
    """A page that only navigates to the web, never shows dialogs and never logs the console."""

    def acceptNavigationRequest(self, url: QUrl | str, type_: Any, is_main_frame: bool) -> bool:
        scheme = QUrl(url).scheme().lower()
        allowed = ("http", "https") if is_main_frame else ("http", "https", "about", "data", "blob")
        return scheme in allowed

    def javaScriptConsoleMessage(self, *args: Any) -> None:
        """Page console chatter is not ours to print (it would flood the parent's stderr)."""

    def javaScriptAlert(self, *args: Any) -> None:
        """Nobody is there to click OK; an unanswered alert must not block the page."""

    def javaScriptConfirm(self, *args: Any) -> bool:
        return False


class _Trimmer(QWebEngineUrlRequestInterceptor):
    """Fetch only what can change the text: no images, fonts, media or tracking pings. Saves
    the site's bandwidth and ours; runs on Chromium's IO thread, so it only reads the request.

    Also the address policy of watcher_app.netguard, as far as a URL shows it (Chromium does
    its own DNS): never a link-local or metadata address, and private or loopback addresses
    only when the page itself is on one (a page's script must not read the metadata service or
    the user's router into the DOM we store)."""

    def __init__(self, parent: QObject | None = None, *, allow_private: bool = False) -> None:
        super().__init__(parent)
        self.allow_private = allow_private

    _SKIP = frozenset(getattr(QWebEngineUrlRequestInfo.ResourceType, name) for name in (
        "ResourceTypeImage", "ResourceTypeFontResource", "ResourceTypeMedia",
        "ResourceTypeFavicon", "ResourceTypePing", "ResourceTypeCspReport",
        "ResourceTypePluginResource"))

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        if info.resourceType() in self._SKIP or not self.reachable(info.requestUrl().host()):
            info.block(True)

    def reachable(self, host: str) -> bool:
        kind = host_class(host) if host else None
        return kind != "forbidden" and (kind != "private" or self.allow_private)


class Renderer(QObject):
    """Load one URL, wait until the DOM settles, report it through ``out``."""

    def __init__(self, url: str, *, timeout_s: float, user_agent: str | None,
                 wait_selector: str | None, out: _Output) -> None:
        super().__init__()
        self.url, self.timeout_s, self.selector, self.out = url, timeout_s, wait_selector, out
        self.started = time.monotonic()
        # Off-the-record: no storage name, so cookies, cache and local storage live in memory
        # and vanish with the process. The profile must outlive the page (see close()).
        self.profile = QWebEngineProfile()
        self.profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
        self.profile.setPersistentCookiesPolicy(
            QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies)
        if user_agent:
            self.profile.setHttpUserAgent(user_agent)
        self.profile.downloadRequested.connect(self._on_download)
        # Owned by the renderer: outlives the profile's use of it.
        self.trimmer = _Trimmer(self, allow_private=host_class(QUrl(url).host()) == "private")
        self.profile.setUrlRequestInterceptor(self.trimmer)
        self.page: _Page | None = _Page(self.profile)
        attr, settings = QWebEngineSettings.WebAttribute, self.page.settings()
        for name, on in (("JavascriptEnabled", True), ("AutoLoadImages", False),
                         ("PluginsEnabled", False), ("PdfViewerEnabled", False),
                         ("ErrorPageEnabled", False), ("JavascriptCanOpenWindows", False),
                         ("LocalContentCanAccessFileUrls", False), ("WebGLEnabled", False),
                         ("PlaybackRequiresUserGesture", True)):
            settings.setAttribute(getattr(attr, name), on)
        self.page.setAudioMuted(True)
        self.page.loadingChanged.connect(self._on_loading)
        self.page.renderProcessTerminated.connect(self._on_crash)
        self.load_done = False
        self.http_status: int | None = None
        self.last_sig: tuple[Any, ...] | None = None
        self.last_change = time.monotonic()
        self.text_len = 0
        self.matched: Any = None
        self.snapshotting = False
        self.poll_timer = QTimer(self)
        self.poll_timer.timeout.connect(self._poll)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        assert self.page is not None
        self.page.load(QUrl(self.url))
        self.poll_timer.start(POLL_MS)
        soft = max(self.timeout_s - min(1.5, self.timeout_s * 0.15), 0.5)
        remaining = soft - (time.monotonic() - self.started)
        QTimer.singleShot(max(int(remaining * 1000), 0), self._on_soft_deadline)

    def close(self) -> None:
        """Page first, profile second: a profile destroyed under a live page crashes Chromium."""
        self.poll_timer.stop()
        if self.page is not None:
            page, self.page = self.page, None
            shiboken6.delete(page)  # now, not at garbage collection in an unknown order
        shiboken6.delete(self.profile)

    def _finish(self, payload: dict[str, Any]) -> None:
        payload["elapsed_s"] = round(time.monotonic() - self.started, 3)
        self.out.emit(payload)
        QTimer.singleShot(0, QCoreApplication.quit)

    def _fail(self, reason: str, detail: str) -> None:
        self._finish({"status": "error", "reason": reason, "detail": detail,
                      "http_status": self.http_status})

    # -- signals ---------------------------------------------------------------------------
    def _on_loading(self, info: QWebEngineLoadingInfo) -> None:
        status = info.status()
        if status == QWebEngineLoadingInfo.LoadStatus.LoadStartedStatus:
            self.load_done = False
        elif status == QWebEngineLoadingInfo.LoadStatus.LoadSucceededStatus:
            self.load_done, self.http_status = True, 200
        elif status == QWebEngineLoadingInfo.LoadStatus.LoadFailedStatus:
            domain = info.errorDomain()
            if domain == QWebEngineLoadingInfo.ErrorDomain.HttpStatusCodeDomain:
                # The server's own error body is shown; a challenge page may still run its JS
                # and navigate on, so keep waiting and judge the status at the end.
                self.load_done, self.http_status = True, info.errorCode()
            elif info.isDownload():
                self._fail("download", f"{info.url().toString()} is a file download, not a page")
            elif info.errorCode() != ERR_ABORTED:
                self._fail("load-failed", f"{info.url().toString()}: {info.errorString()} "
                                          f"(error {info.errorCode()})")

    def _on_download(self, request: Any) -> None:
        mime = request.mimeType() or "unknown type"
        request.cancel()
        self._fail("download", f"{self.url} is a file download ({mime}), not a web page")

    def _on_crash(self, status: Any, code: int) -> None:
        self._fail("renderer-crashed", f"the page's renderer process ended ({status}, {code})")

    # -- settling --------------------------------------------------------------------------
    def _poll(self) -> None:
        if self.page is None or self.snapshotting or self.out.done:
            return
        script = _POLL_JS % json.dumps(self.selector or "")
        self.page.runJavaScript(script, _WORLD, self._on_poll)

    def _on_poll(self, raw: Any) -> None:
        result = _decoded(raw)
        if self.snapshotting or self.out.done or not isinstance(result, list) or len(result) < 4:
            return
        ready_state, text_len, resources, matched = result[:4]
        if matched == "bad":
            self._fail("bad-selector", f"--wait-selector {self.selector!r} is not valid CSS")
            return
        self.text_len, self.matched = int(text_len or 0), matched
        page_url = self.page.url().toString() if self.page is not None else ""
        sig = (page_url, ready_state, self.text_len, resources, matched, self.load_done)
        now = time.monotonic()
        if sig != self.last_sig:
            self.last_sig, self.last_change = sig, now
            return
        if ready_state == "loading" or not self._navigated():
            return
        # With a selector, its match is enough: a hanging tracker must not hold up the policy.
        ready = matched is True if self.selector else self.load_done or ready_state == "complete"
        # A matched selector already proves the content arrived; short text needs no extra wait.
        long_enough = self.selector or self.text_len >= NEAR_EMPTY_CHARS
        quiet = QUIET_S if long_enough else QUIET_NEAR_EMPTY_S
        if ready and now - self.last_change >= quiet:
            self._snapshot(settled=True)

    def _navigated(self) -> bool:
        """Has our URL's document replaced the initial about:blank?"""
        return self.page is not None and self.page.url().scheme() in ("http", "https") and (
            self.load_done or self.text_len > 0)

    def _on_soft_deadline(self) -> None:
        if self.out.done or self.snapshotting:
            return
        limit = f"{self.timeout_s:g} s"
        if self.selector and self.matched is not True:
            self._fail("timeout", f"{self.selector!r} did not appear in {self.url} within {limit}")
        elif not self._navigated():
            self._fail("timeout", f"{self.url} did not load within {limit}")
        elif self.text_len == 0:
            self._fail("timeout", f"{self.url} still showed no text after {limit}")
        else:
            self._snapshot(settled=False)  # still changing (a ticker?): the best DOM we have

    def _snapshot(self, *, settled: bool) -> None:
        if self.page is None:
            return
        self.snapshotting = True
        self.page.runJavaScript(_SNAPSHOT_JS, _WORLD,
                                lambda result: self._on_snapshot(result, settled))

    def _on_snapshot(self, raw: Any, settled: bool) -> None:
        result = _decoded(raw)
        if not isinstance(result, dict) or not isinstance(result.get("html"), str):
            self._fail("bad-output", "the page's DOM could not be read")
            return
        html = result["html"]
        if len(html) > MAX_HTML_CHARS:
            self._fail("too-large", f"{self.url} renders to {len(html)} characters "
                                    f"(cap {MAX_HTML_CHARS})")
            return
        if self.http_status is not None and self.http_status >= 400:
            self._fail(f"http-{self.http_status}", f"{result.get('url') or self.url} answered "
                       f"HTTP {self.http_status} (title: {str(result.get('title'))[:80]!r})")
            return
        self._finish({"status": "ok", "url": result.get("url") or self.url, "html": html,
                      "title": str(result.get("title") or ""), "http_status": self.http_status,
                      "settled": settled})


def _watchdog(out: _Output, timeout_s: float) -> None:
    """Last resort when the event loop itself is stuck: report, then end the process hard."""
    out.emit({"status": "error", "reason": "timeout",
              "detail": f"the renderer did not answer within {timeout_s:g} s"})
    os._exit(3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m watcher_app.ui.webrender",
                                     description="Render a page with Qt WebEngine; print JSON.")
    parser.add_argument("url")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")
    parser.add_argument("--user-agent", default=None)
    parser.add_argument("--wait-selector", default=None, help="CSS selector to wait for")
    args = parser.parse_args(argv)
    out = _Output()
    timeout_s = max(args.timeout, 1.0)
    if QUrl(args.url).scheme().lower() not in ("http", "https"):
        out.emit({"status": "error", "reason": "unsupported-scheme",
                  "detail": f"only http/https pages are rendered: {args.url!r}"})
        return 2
    guard = threading.Timer(timeout_s, _watchdog, args=(out, timeout_s))
    guard.daemon = True
    guard.start()
    # WebEngine shares GL contexts between its threads; without this Qt warns on every start.
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QGuiApplication([sys.argv[0]])
    renderer = Renderer(args.url, timeout_s=timeout_s, user_agent=args.user_agent,
                        wait_selector=args.wait_selector, out=out)
    renderer.start()
    app.exec()
    renderer.close()
    guard.cancel()
    return 0 if out.ok else 1


if __name__ == "__main__":
    sys.exit(main())
