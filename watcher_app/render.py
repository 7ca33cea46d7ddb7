"""Optional JavaScript rendering of a page, for sources that only serve their text to a browser.

The core never imports Qt WebEngine: it runs ``python -m watcher_app.ui.webrender`` as a child
process and reads one JSON line back. A crash, a hang or a memory blow-up of Chromium therefore
ends that child, never the watcher, and the child is killed (with its whole process group) when
it outlives its timeout.

capture.py decides when to render, from its own reading of the plain page: it asks
``may_help_error`` (a refused fetch: 403, an empty answer) and ``may_help`` (a page validate.py
calls ``blocked``: a bot challenge, an empty app shell, too little text...), and reads the
rendering that ``render_as_fetch_result`` returns exactly like a fetched page.
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import importlib.metadata
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from watcher_app.fetch import FetchError, FetchResult
from watcher_app.launch import WEBRENDER_FLAG, own_command
from watcher_app.outcomes import BROWSER_CANNOT_HELP, Outcome
from watcher_app.validate import Problem

INSTALL_HINT = ("Rendering JavaScript pages needs Qt WebEngine, which is not installed: "
                "install it with `pip install governance-watcher[browser]`.")
EXIT_GRACE_S = 5.0  # on top of the child's own timeout: Chromium start-up and shutdown
RENDERED_BY_HEADER = "x-governance-watcher-rendered-by"
# "0" turns the automatic fallback off (tests that want plain outcomes fast, or a user's choice).
RENDER_ENV = "GOVERNANCE_WATCHER_RENDER"
# A plain fetch refused like this is often a bot wall that a real browser gets through. For
# sources marked executeClientScripts also Cloudflare's older challenge status and an empty body
# (some hosts send nothing to clients they take for bots).
RENDER_ON_ERRORS = frozenset({"http-403"})
RENDER_ON_ERRORS_JS = RENDER_ON_ERRORS | {"http-503", "empty"}
# One Chromium at a time: each costs a few hundred MB, and checks are not urgent.
_SLOTS = threading.BoundedSemaphore(1)
_OFF = ("0", "off", "no", "false")
_PACKAGE_PARENT = Path(__file__).resolve().parent.parent


class RenderError(Exception):
    """A rendering that gave no usable page; ``reason`` is a short code like FetchError's."""

    def __init__(self, reason: str, detail: str, status: int | None = None) -> None:
        super().__init__(reason, detail, status)  # every argument kept so the error pickles
        self.reason, self.detail, self.status = reason, detail, status

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"


@dataclass(frozen=True)
class RenderResult:
    url: str  # after redirects and script navigations
    html: str  # the live DOM, serialised
    title: str
    http_status: int | None = None
    settled: bool = True  # False: still changing at the deadline, this is the best DOM seen
    elapsed_s: float = 0.0


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def renderer_available() -> tuple[bool, str]:
    """(usable, a sentence for the user). Looks for the module file without importing it, so
    asking costs nothing and never starts Chromium or Qt in the calling process."""
    package = importlib.util.find_spec("PySide6")
    locations = list(package.submodule_search_locations or []) if package else []
    if not locations or importlib.machinery.PathFinder.find_spec(
            "QtWebEngineCore", locations) is None:
        return False, INSTALL_HINT
    # Qt's wheels must be one release: a mismatched pair fails only when the child imports it.
    base = _version("PySide6-Essentials")
    for addon in ("PySide6-Addons", "PySide6-WebEngine"):
        other = _version(addon)
        if base and other and other.split(".")[:3] != base.split(".")[:3]:
            return False, (f"{addon} {other} does not match PySide6-Essentials {base}: install "
                           f"the same release with `pip install \"PySide6-Addons[webengine]=="
                           f"{base}\"`.")
    return True, "Qt WebEngine is installed: pages that need JavaScript can be rendered."


def _check_url(url: str) -> None:
    parts = urlsplit(url.strip()) if isinstance(url, str) else None
    if parts is None or parts.scheme.lower() not in ("http", "https"):
        raise RenderError("unsupported-scheme", f"only http/https pages are rendered: {url!r}")
    if not parts.hostname or any(ch.isspace() or ord(ch) < 32 for ch in url.strip()):
        raise RenderError("invalid-url", f"cannot render {url!r}: no host or stray characters")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Kill the child and the Chromium helpers it started (they share its process group)."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(OSError):
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)  # the group is the child's own (new session)
        else:
            proc.kill()


def _tail(stderr: bytes, lines: int = 3) -> str:
    text = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return " | ".join(text[-lines:])[-400:] or "no message"


def render_page(url: str, *, timeout_s: float = 30.0, user_agent: str | None = None,
                wait_selector: str | None = None) -> RenderResult:
    """Load ``url`` in an offscreen browser and return its DOM once it settles.

    Raises RenderError; returns or raises within about ``timeout_s`` + 5 s whatever the page.
    """
    _check_url(url)
    usable, why = renderer_available()
    if not usable:
        raise RenderError("renderer-unavailable", why)
    cmd = own_command(WEBRENDER_FLAG, "--timeout", f"{timeout_s:g}")
    if user_agent:
        cmd += ["--user-agent", user_agent]
    if wait_selector:
        cmd += ["--wait-selector", wait_selector]
    cmd += ["--", url.strip()]  # "--": nothing in a URL can be read as an option
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")  # the renderer never needs a screen
    # The child must import this very watcher_app, even when it is run from a source tree.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(_PACKAGE_PARENT), env.get("PYTHONPATH", "")) if p)
    posix = os.name == "posix"
    # spelled with sys.platform so mypy knows the flag exists only on Windows
    if sys.platform == "win32":
        creationflags = subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        creationflags = 0
    with _SLOTS:
        proc = subprocess.Popen(  # noqa: S603 - fixed program, URL passed after "--"
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, start_new_session=posix,
            creationflags=creationflags)
        try:
            out, err = proc.communicate(timeout=timeout_s + EXIT_GRACE_S)
        except subprocess.TimeoutExpired:
            _stop(proc)
            proc.communicate()
            raise RenderError("timeout", f"the browser did not finish {url} within "
                              f"{timeout_s + EXIT_GRACE_S:g} s and was stopped") from None
        finally:
            _stop(proc)  # also on KeyboardInterrupt: never leave a Chromium behind
    return _parse(out, err, proc.returncode, url)


def _parse(out: bytes, err: bytes, returncode: int | None, url: str) -> RenderResult:
    payload: Any = None
    for line in reversed(out.decode("utf-8", "replace").splitlines()):
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                payload = json.loads(line)
            break
    if not isinstance(payload, dict):
        raise RenderError("renderer-crashed", f"the browser ended (exit code {returncode}) "
                          f"without an answer for {url}: {_tail(err)}")
    if payload.get("status") != "ok":
        status = payload.get("http_status")
        raise RenderError(str(payload.get("reason") or "render-failed"),
                          str(payload.get("detail") or "no detail"),
                          status if isinstance(status, int) else None)
    html = payload.get("html")
    if not isinstance(html, str):
        raise RenderError("bad-output", f"the browser's answer for {url} has no HTML")
    status = payload.get("http_status")
    return RenderResult(url=str(payload.get("url") or url), html=html,
                        title=str(payload.get("title") or ""),
                        http_status=status if isinstance(status, int) else None,
                        settled=bool(payload.get("settled", True)),
                        elapsed_s=float(payload.get("elapsed_s") or 0.0))


def render_as_fetch_result(url: str, *, timeout_s: float = 30.0, user_agent: str | None = None,
                           wait_selector: str | None = None) -> FetchResult:
    """render_page shaped like a plain fetch, so capture.py can store and extract it unchanged.
    Failures come out as FetchError with RenderError's reason code."""
    started = time.monotonic()
    try:
        page = render_page(url, timeout_s=timeout_s, user_agent=user_agent,
                           wait_selector=wait_selector)
    except RenderError as exc:
        raise FetchError(exc.reason, f"browser rendering: {exc.detail}", exc.status) from None
    headers = {"content-type": "text/html; charset=utf-8", RENDERED_BY_HEADER: "qtwebengine"}
    return FetchResult(url=page.url, status=200, headers=headers, body=page.html.encode("utf-8"),
                       content_type="text/html", charset="utf-8", not_modified=False,
                       elapsed_s=time.monotonic() - started, attempts=1,
                       redirects=(url,) if page.url != url else ())


def rendering_enabled() -> bool:
    """The browser fallback is wanted (GOVERNANCE_WATCHER_RENDER is not "0") and installed."""
    if os.environ.get(RENDER_ENV, "1").strip().lower() in _OFF:
        return False
    return renderer_available()[0]


def may_help_error(source: Mapping[str, Any], reason: str) -> bool:
    """May a browser get the page that a plain fetch was refused (`reason`, a FetchError
    code)? A 403 is often a bot wall; for pages declared to need JavaScript also Cloudflare's
    older 503 challenge and an empty answer."""
    wanted = RENDER_ON_ERRORS_JS if source.get("executeClientScripts") else RENDER_ON_ERRORS
    return reason in wanted


def may_help(source: Mapping[str, Any], problem: Problem) -> bool:
    """May a browser turn this verdict on a plain page into the policy? Only a "blocked" page
    (a challenge, an empty app shell, too little text…), and not one a browser sees the same
    (a login wall, a soft 404…) unless the page is declared to need a browser."""
    if problem.outcome is not Outcome.BLOCKED:
        return False
    return bool(source.get("executeClientScripts")) or problem.code not in BROWSER_CANNOT_HELP
