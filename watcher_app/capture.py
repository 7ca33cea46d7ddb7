"""Fetch every source of a document and turn it into validated text (no database writes).

One pass per source: fetch, then extract and validate once; only when that verdict says the
page is a bot wall or an empty shell (and a real browser could do better) is the page rendered
in a browser (render.py) and the rendering read instead. Two short cuts keep an unchanged check
nearly free: a 304 answer, or a body byte for byte that of the snapshot the current version was
read from, is the current version again, so nothing is extracted at all (`Capture.same_raw`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from watcher_app import credentials, render
from watcher_app.charset import decode_html
from watcher_app.drift import Fallback, FallbackFinder, largest_block, trim_to_baseline
from watcher_app.extract import Extracted, extract_document
from watcher_app.extract.errors import PdfError
from watcher_app.extract.normalize import text_words, words_sha256
from watcher_app.fetch import Fetcher, FetchError, FetchResult
from watcher_app.outcomes import Code, Outcome
from watcher_app.store.models import Document, Snapshot, Version, utcnow
from watcher_app.validate import Problem, validate_source

log = logging.getLogger(__name__)

BROWSER_HINT = (" This page is marked as needing a browser (JavaScript); install the renderer "
                "with `pip install governance-watcher[browser]`.")


@dataclass
class SourceCapture:
    url: str
    status: int
    headers: dict[str, str]
    content_type: str
    body: bytes | None  # None when a 304 pointed at a stored snapshot
    snapshot_id: int | None = None


@dataclass
class Capture:
    sources: list[SourceCapture] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    problem: Problem | None = None  # why this capture cannot be a version
    http_status: int | None = None
    retry_after_s: float | None = None  # what a 429/503 asked for
    raw_sha256: str | None = None
    fetched_at: dt.datetime = field(default_factory=utcnow)
    detail: dict[str, Any] = field(default_factory=dict)  # stored with the check row
    # Every source answered with the bytes the current version was read from: nothing was
    # extracted, the text is the current version's (its comparison key is `known_key`).
    same_raw: bool = False
    known_key: str | None = None

    @property
    def degraded(self) -> bool:
        """Read (at least in part) through a fallback selector (drift.py)."""
        return bool(self.detail.get("read_with"))

    # The comparison key is read several times per check (flap lookup, confirmation, the
    # stored key): computed once, after extraction has filled `lines`.
    @cached_property
    def words(self) -> list[str]:
        return text_words(self.lines)

    @cached_property
    def key_sha256(self) -> str:
        return self.known_key if self.known_key is not None else words_sha256(self.words)


@dataclass
class _Fetched:
    """One source as fetched (or rendered), before it is read."""

    source: Mapping[str, Any]
    result: FetchResult
    body: bytes
    content_type: str
    charset: str | None
    capture: SourceCapture
    previous: Snapshot | None
    # Already read (a browser's rendering after a refused fetch): extracted text, verdict.
    read: tuple[Extracted | None, Problem | None] | None = None

    def raw(self) -> bytes:
        """The bytes this source stands for (a 304's are the stored snapshot's)."""
        if self.capture.body is None and self.previous is not None and not self.body:
            self.body = self.previous.body
        return self.body


def _latest_snapshot(doc: Document, index: int) -> Snapshot | None:
    latest: Snapshot | None = (
        Snapshot.select().where((Snapshot.document == doc) & (Snapshot.source_index == index))
        .order_by(Snapshot.id.desc()).first())
    return latest


def _read(source: Mapping[str, Any], body: bytes, content_type: str, charset: str | None,
          final_url: str) -> tuple[Extracted | None, Problem | None]:
    """Extract and validate one source, once."""
    try:
        extracted = extract_document(body, source.get("select") or (),
                                     source.get("remove") or (), content_type=content_type,
                                     charset=charset, base_url=final_url,
                                     filters=source.get("filter") or ())
    except PdfError as exc:  # PdfError says "unreadable PDF: …" itself
        return None, Problem(Outcome.ERROR, str(exc), Code.UNREADABLE)
    raw_html = None if content_type == "application/pdf" else body.decode("utf-8", "replace")
    return extracted, validate_source(extracted, raw_html, requested_url=source["url"],
                                      final_url=final_url)


def _fetch(fetcher: Fetcher, source: Mapping[str, Any], previous: Snapshot | None,
           auth: dict[str, str]) -> _Fetched:
    """A plain fetch; a refusal that a browser often gets past (a 403 bot wall…) is retried
    in a browser when the renderer is installed. Raises FetchError."""
    headers = previous.headers if previous is not None else {}
    try:
        result = fetcher.fetch(source["url"], etag=headers.get("etag"),
                               last_modified=headers.get("last-modified"),
                               extra_headers=auth or None)
    except FetchError as exc:
        if not (render.may_help_error(source, exc.reason) and render.rendering_enabled()):
            raise
        try:
            rendered = render.render_as_fetch_result(source["url"])
        except FetchError as failed:
            plain = FetchError(exc.reason, f"{exc.detail}; {failed}", exc.status)
            plain.retry_after_s = exc.retry_after_s
            raise plain from None
        got = _fetched(source, rendered, None)
        got.read = _read(source, rendered.body, "text/html", "utf-8", rendered.url)
        if got.read[0] is None or not got.read[0].lines:
            raise exc from None  # the browser saw nothing either: the plain error says more
        return got
    return _fetched(source, result, previous)


def _fetched(source: Mapping[str, Any], result: FetchResult,
             previous: Snapshot | None) -> _Fetched:
    if result.not_modified and previous is not None:
        cap = SourceCapture(source["url"], result.status, previous.headers,
                            previous.content_type, None, previous.id)
        return _Fetched(source, result, b"", previous.content_type, None, cap, previous)
    cap = SourceCapture(result.url, result.status, result.headers, result.content_type,
                        result.body)
    return _Fetched(source, result, result.body, result.content_type, result.charset, cap,
                    previous)


def _unchanged(current: Version | None, fetched: list[_Fetched]) -> bool:
    """Does every source answer with the very bytes the current version was read from (its
    snapshots), or last found to read as exactly its text (`Version.raw_sha256`)?"""
    if current is None or any(got.read is not None for got in fetched):
        return False
    if current.raw_sha256 and all(got.capture.body is not None for got in fetched):
        digest = hashlib.sha256()
        for got in fetched:
            digest.update(got.body)
        if digest.hexdigest() == current.raw_sha256:
            return True
    if not current.snapshots:
        return False
    snaps = {s.source_index: s for s in Snapshot.select(
        Snapshot.id, Snapshot.source_index, Snapshot.sha256, Snapshot.url).where(
        Snapshot.id.in_(current.snapshots))}
    for index, got in enumerate(fetched):
        snap = snaps.get(index)
        if snap is None or got.read is not None:
            return False
        if got.capture.body is None:  # a 304 for this snapshot
            if got.previous is None or got.previous.id != snap.id:
                return False
        elif (got.result.url != snap.url
              or hashlib.sha256(got.capture.body).hexdigest() != snap.sha256):
            return False
    return True


def capture_document(fetcher: Fetcher, doc: Document, current: Version | None = None, *,
                     fallbacks: FallbackFinder | None = None,
                     baseline: Version | None = None) -> Capture:
    """Fetch and read every source of `doc`. With `current` (the version the caller compares
    with), an answer that is byte for byte that version's snapshots is not read again.
    `fallbacks`: where to look when a declared selector no longer matches (drift.py); a
    fallback's read is trimmed to the span of `baseline` (default: `current`)."""
    cap = Capture()
    auth = credentials.headers_for(doc.id)  # {} for public pages: the keyring is not touched
    fetched: list[_Fetched] = []
    for index, source in enumerate(doc.sources):
        try:
            got = _fetch(fetcher, source, _latest_snapshot(doc, index), auth)
        except FetchError as exc:
            cap.problem = Problem(Outcome.ERROR, f"{exc.reason}: {exc.detail}", exc.reason)
            cap.http_status = exc.status
            cap.retry_after_s = getattr(exc, "retry_after_s", None)
            return cap
        cap.http_status = got.result.status
        cap.sources.append(got.capture)
        fetched.append(got)
    if _unchanged(current, fetched):
        assert current is not None
        cap.same_raw, cap.known_key = True, current.key_sha256
    else:
        many = len(fetched) > 1
        drift = _Drift(doc, fallbacks, baseline or current) if fallbacks else None
        for index, got in enumerate(fetched):
            _read_into(cap, got, many, drift, index)
    cap.raw_sha256 = _raw_sha256(fetched)
    return cap


def _raw_sha256(fetched: list[_Fetched]) -> str:
    """The hash of everything fetched (a 304 stands for the stored snapshot's bytes)."""
    if len(fetched) == 1 and fetched[0].capture.body is None and fetched[0].previous:
        return fetched[0].previous.sha256  # one 304: no need to read the snapshot back
    digest = hashlib.sha256()
    for got in fetched:
        digest.update(got.raw())
    return digest.hexdigest()


@dataclass
class _Drift:
    """What a source whose declared selector stopped matching may fall back to."""

    doc: Document
    find: FallbackFinder
    baseline: Version | None

    def lines(self) -> list[str] | None:
        return self.baseline.text.split("\n") if self.baseline is not None else None


def _read_into(cap: Capture, got: _Fetched, many: bool, drift: _Drift | None = None,
               index: int = 0) -> None:
    source = got.source
    if got.read is not None:
        extracted, problem = got.read
    else:
        extracted, problem = _read(source, got.raw(), got.content_type, got.charset,
                                   got.result.url)
        if problem is not None and render.may_help(source, problem) \
                and render.rendering_enabled():
            extracted, problem = _render_instead(cap, got, extracted, problem)
    if problem is not None and problem.code == Code.SELECTOR_MISS and drift is not None:
        extracted, problem = _fall_back(cap, got, drift, index, extracted, problem)
    if problem is not None and cap.problem is None:
        where = f" ({source['url']})" if many else ""
        hint = (BROWSER_HINT if source.get("executeClientScripts")
                and not render.renderer_available()[0] else "")
        cap.problem = Problem(problem.outcome, problem.reason + where + hint, problem.code)
    if extracted is not None:
        cap.lines.extend(extracted.lines)
        cap.links.extend(extracted.links)


def _fall_back(cap: Capture, got: _Fetched, drift: _Drift, index: int,
               extracted: Extracted | None, problem: Problem
               ) -> tuple[Extracted | None, Problem | None]:
    """The declared selector matches nothing: read the same bytes with the first fallback that
    gives the policy (drift.py), trimmed to the current version's span. None found: the
    selector miss stands."""
    for fallback in _fallbacks(got, drift, index):
        read, trouble = _read(fallback.source(got.source), got.raw(), got.content_type,
                              got.charset, got.result.url)
        if trouble is None and read is not None and read.lines:
            read.lines = trim_to_baseline(read.lines, drift.lines())
            cap.detail.setdefault("read_with", []).append(
                {"source": got.source.get("url"), **fallback.describe()})
            return read, None
    return extracted, problem


def _fallbacks(got: _Fetched, drift: _Drift, index: int) -> Iterator[Fallback]:
    """The finder's fallbacks, then the element holding the most paragraph text. That last one
    parses the page again, so it is looked for only when the others did not read the policy."""
    found = drift.find(drift.doc, index, got.source)
    yield from found
    if got.content_type != "application/pdf":
        block = largest_block(decode_html(got.raw(), got.charset))
        if block is not None and block.select not in [f.select for f in found]:
            yield block


def _render_instead(cap: Capture, got: _Fetched, extracted: Extracted | None,
                    problem: Problem) -> tuple[Extracted | None, Problem | None]:
    """The plain page is a bot wall or an empty shell: read a browser's rendering of it
    instead. If the browser fails, the plain verdict stands."""
    try:
        rendered = render.render_as_fetch_result(got.source["url"])
    except FetchError as failed:
        log.warning("rendering %s in a browser failed (%s); keeping the plain page (%s)",
                    got.source["url"], failed, problem.reason)
        return extracted, problem
    index = cap.sources.index(got.capture)
    got.capture = cap.sources[index] = SourceCapture(
        rendered.url, rendered.status, rendered.headers, rendered.content_type, rendered.body)
    got.result, got.body = rendered, rendered.body
    return _read(got.source, rendered.body, "text/html", "utf-8", rendered.url)


def recapture(doc: Document, snapshot_ids: list[int]) -> Capture | None:
    """Re-extract a version's stored snapshots (for a technical upgrade of the extractor)."""
    snaps = {s.source_index: s for s in Snapshot.select().where(Snapshot.id.in_(snapshot_ids))}
    if len(snaps) != len(doc.sources):
        return None
    cap = Capture()
    many = len(snaps) > 1
    for index, source in enumerate(doc.sources):
        snap = snaps[index]
        cap.sources.append(SourceCapture(snap.url, snap.http_status, snap.headers,
                                         snap.content_type, None, snap.id))
        extracted, problem = _read(source, snap.body, snap.content_type, None, snap.url)
        if problem is not None and cap.problem is None:
            where = f" ({source['url']})" if many else ""
            cap.problem = Problem(problem.outcome, problem.reason + where, problem.code)
        if extracted is not None:
            cap.lines.extend(extracted.lines)
            cap.links.extend(extracted.links)
    return cap
