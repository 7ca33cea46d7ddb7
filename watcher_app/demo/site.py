"""The demo's built-in web site: the fictional platforms' pages, served on 127.0.0.1 by a
stdlib HTTP server in a thread, and the schedule on which their policies change.

What a page says is a pure function of time: the history in platforms.json decides the past
(`history_state`, used to record the demo's history), and once the user starts watching, one
scheduled edit happens every `every_s` seconds, in this order, round after round:

1. ai-training: an AI-training clause flips (Quillmind's privacy policy);
2. cosmetic: new markup, new tokens in link targets and the update notice moved to the other
   end of the page, not a word of the policy changed (Bazaarloop's privacy policy): no alert;
3. retention: a retention period changes (Murmurly's privacy policy);
4. arbitration: an arbitration clause appears, later its opt-out deadline changes (Bazaarloop's
   terms).

A slot's variants come round again one "generation" later with other figures in them
(content.slot_text), so no scheduled edit ever returns a page to an earlier text.

Every page also carries fresh per-request tokens in its link targets, like many real sites.
The app checks these pages like any other (fetch, extract, validate, compare, confirm), so what
it alerts on is its own judgement. The clock is injectable: tests move it instead of waiting.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from watcher_app.demo.content import (
    LIVE_EVENTS,
    DocSpec,
    DocState,
    PlatformSpec,
    index_page,
    load_platforms,
    maintenance_page,
    render_page,
    slot_text,
)

# The slot each scheduled edit turns (cosmetic turns no slot: only markup and layout move).
EVENT_SLOTS = {"ai-training": "training", "retention": "retention_period",
               "arbitration": "arbitration"}


@dataclass(frozen=True)
class Pace:
    """How fast the demo goes: one scheduled edit every `edit_every_s`, each demo document
    checked every `check_every_s` (the app's own scheduler), a change confirmed by a second
    fetch `confirm_delay_s` later."""

    edit_every_s: float = 75.0
    check_every_s: int = 60
    confirm_delay_s: float = 10.0

    @classmethod
    def for_edits_every(cls, seconds: float) -> Pace:
        """Checks a little more often than edits, so each edit is seen before the next."""
        seconds = max(float(seconds), 5.0)
        return cls(seconds, max(5, round(seconds * 0.8)), round(min(10.0, seconds / 7), 1))


@dataclass(frozen=True)
class Edit:
    step: int  # 1 for the first scheduled edit
    event: str  # one of LIVE_EVENTS
    platform: PlatformSpec
    doc: DocSpec
    description: str


def base_state(doc: DocSpec, start: dt.date) -> DocState:
    return DocState(slots=tuple(sorted((name, 0) for name in doc.slots)),
                    updated=start - dt.timedelta(days=doc.published_days_ago))


def history_state(doc: DocSpec, days_ago: int, start: dt.date) -> DocState:
    """The page of `doc` as it stood `days_ago` days before `start` (the demo's first day)."""
    state = base_state(doc, start)
    for step in sorted(doc.history, key=lambda s: -s.days_ago):
        if step.days_ago < days_ago:
            break
        if step.outage:
            state = replace(state, outage=step.days_ago == days_ago)
            continue
        for name, index in step.set.items():
            state = state.with_slot(name, index)
        if step.edit:
            state = replace(state, edits=state.edits + 1,
                            updated=start - dt.timedelta(days=step.days_ago))
        if step.markup:
            state = replace(state, markup=1 - state.markup)
    return replace(state, outage=state.outage and days_ago > 0)


def scheduled_edits(steps: int) -> list[tuple[int, str, int]]:
    """(step, event, round) of the first `steps` scheduled edits."""
    return [(k, LIVE_EVENTS[(k - 1) % len(LIVE_EVENTS)], (k - 1) // len(LIVE_EVENTS))
            for k in range(1, steps + 1)]


def apply_edit(doc: DocSpec, state: DocState, event: str, today: dt.date) -> DocState:
    """One scheduled edit of `doc`."""
    if event == "cosmetic":
        return replace(state, markup=1 - state.markup, banner_bottom=not state.banner_bottom)
    slot = EVENT_SLOTS[event]
    variants = doc.slots[slot]
    index = state.slot(slot) + 1  # never modulo: see content.slot_text
    if not variants[index % len(variants)]:
        index += 1  # a clause that appeared stays (changed next time), it does not go again
    state = state.with_slot(slot, index)
    return replace(state, edits=state.edits + 1, updated=today)


def live_state(doc: DocSpec, steps: int, today: dt.date) -> DocState:
    """The page of `doc` after the first `steps` scheduled edits."""
    state = history_state(doc, 0, today)
    for _, event, _ in scheduled_edits(steps):
        if event == doc.live:
            state = apply_edit(doc, state, event, today)
    return state


def describe(doc: DocSpec, event: str, before: DocState, after: DocState) -> str:
    if event == "cosmetic":
        return ("a cosmetic edit: new markup, new link targets, the update notice moved "
                "(must not alert)")
    slot = EVENT_SLOTS[event]
    variants = doc.slots[slot]
    old, new = slot_text(variants, before.slot(slot)), slot_text(variants, after.slot(slot))
    if event == "ai-training":
        return ("the AI-training clause flips: content is now used to train its models"
                if after.slot(slot) % 2 else "the AI-training clause flips back: no training "
                "on content")
    if event == "retention":
        return f"a retention period changes: {old} \u2192 {new}"
    return ("an arbitration clause appears" if not old else
            "the arbitration clause changes: a new deadline to opt out of it")


class DemoSite:
    """The fictional platforms on http://127.0.0.1:<free port>/."""

    def __init__(self, *, every_s: float = Pace.edit_every_s,
                 clock: Callable[[], float] = time.time, today: dt.date | None = None) -> None:
        self.platforms = load_platforms()
        self.every_s = every_s
        self.clock = clock
        self.today = today or dt.date.today()
        self._started_at: float | None = None  # the clock when the scheduled edits began
        self._pinned: dict[str, DocState] | None = None
        self._docs = {doc.key: (p, doc) for p in self.platforms for doc in p.documents}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.hits = 0

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> DemoSite:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.site = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="gw-demo-site",
                                        kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "the demo site is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, doc: DocSpec) -> str:
        return f"{self.base_url}/{doc.key}"

    def declaration(self, platform: PlatformSpec) -> dict[str, Any]:
        """The platform in Open Terms Archive's declaration format, with this site's URLs."""
        terms: dict[str, Any] = {}
        for doc in platform.documents:
            source: dict[str, Any] = {"fetch": self.url(doc), "select": list(doc.select)}
            if doc.remove:
                source["remove"] = list(doc.remove)
            terms[doc.type] = source
        return {"name": platform.name, "terms": terms}

    # --- the schedule --------------------------------------------------------------------

    def start_changes(self) -> None:
        """Begin the scheduled edits (the first one `every_s` from now); once only."""
        if self._started_at is None:
            self._started_at = self.clock()

    @property
    def changing(self) -> bool:
        return self._started_at is not None

    @property
    def step(self) -> int:
        """How many scheduled edits have happened."""
        if self._started_at is None:
            return 0
        return max(0, int((self.clock() - self._started_at) // self.every_s))

    def next_edit(self) -> tuple[float, Edit] | None:
        """Seconds until the next scheduled edit, and what it will be (None before start)."""
        if self._started_at is None:
            return None
        step = self.step + 1
        left = self._started_at + step * self.every_s - self.clock()
        return max(0.0, left), self.edit(step)

    def edit(self, step: int) -> Edit:
        _, event, _ = scheduled_edits(step)[-1]
        platform, doc = next((p, d) for p, d in self._docs.values() if d.live == event)
        before = live_state(doc, step - 1, self.today)
        after = live_state(doc, step, self.today)
        return Edit(step, event, platform, doc, describe(doc, event, before, after))

    def pin(self, states: dict[str, DocState] | None) -> None:
        """Serve these states instead of the schedule's (recording the history), or stop."""
        self._pinned = states

    def state(self, doc: DocSpec) -> DocState:
        pinned = self._pinned
        if pinned is not None and doc.key in pinned:
            return pinned[doc.key]
        return live_state(doc, self.step, self.today)

    # --- pages ---------------------------------------------------------------------------

    def page(self, target: str) -> tuple[int, str]:
        path = urlsplit(target).path.strip("/")
        token = secrets.token_hex(4)

        def link(href: str) -> str:
            if not href.startswith("/"):
                return href  # mailto: and the like
            return f"{href}{'&' if '?' in href else '?'}src=legal&session={token}"

        if path == "":
            return 200, index_page(self.platforms, link)
        if path in self._docs:
            platform, doc = self._docs[path]
            state = self.state(doc)
            if state.outage:
                return 200, maintenance_page(platform)
            return 200, render_page(platform, doc, state, link)
        platform_ids = {p.id for p in self.platforms}
        if path in platform_ids:
            return 200, index_page(tuple(p for p in self.platforms if p.id == path), link)
        return 404, ("<!doctype html><html><head><title>Page not found</title></head><body>"
                     "<h1>Page not found</h1></body></html>")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    site: DemoSite

    def server_bind(self) -> None:
        """No reverse lookup of our own address (HTTPServer's getfqdn): nothing to ask."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "DemoSite/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Quiet: the app's own check history says what was fetched."""

    def do_GET(self) -> None:
        site = self.server.site
        site.hits += 1
        status, text = site.page(self.path)
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(OSError):  # a client that hung up: nothing to do
                self.wfile.write(body)

    do_HEAD = do_GET
