"""Fetch every source of a document and turn it into validated text (no database writes).

A 304 answer to a conditional GET re-reads the stored snapshot it refers to, so "unchanged,
verified" costs the server nothing and still checks the text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from watcher_app import credentials
from watcher_app.extract import extract_document
from watcher_app.extract.errors import PdfError
from watcher_app.extract.normalize import text_words, words_sha256
from watcher_app.fetch import Fetcher, FetchError, FetchResult
from watcher_app.outcomes import Code, Outcome
from watcher_app.render import fetch_or_render, renderer_available
from watcher_app.store.models import Document, Snapshot, utcnow
from watcher_app.validate import Problem, validate_source

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

    # The comparison key is read several times per check (flap lookup, confirmation, the
    # stored key): computed once, after extraction has filled `lines`.
    @cached_property
    def words(self) -> list[str]:
        return text_words(self.lines)

    @cached_property
    def key_sha256(self) -> str:
        return words_sha256(self.words)


def _latest_snapshot(doc: Document, index: int) -> Snapshot | None:
    return (Snapshot.select().where((Snapshot.document == doc) & (Snapshot.source_index == index))
            .order_by(Snapshot.id.desc()).first())


def _extract_into(cap: Capture, source: dict, body: bytes, content_type: str,
                  charset: str | None, final_url: str, many: bool) -> None:
    try:
        extracted = extract_document(body, source.get("select") or (),
                                     source.get("remove") or (), content_type=content_type,
                                     charset=charset, base_url=final_url,
                                     filters=source.get("filter") or ())
    except PdfError as exc:
        if cap.problem is None:
            # PdfError says "unreadable PDF: …" itself
            cap.problem = Problem(Outcome.ERROR, str(exc), Code.UNREADABLE)
        return
    raw_html = None if content_type == "application/pdf" else body.decode("utf-8", "replace")
    problem = validate_source(extracted, raw_html, requested_url=source["url"],
                              final_url=final_url)
    if problem is not None and cap.problem is None:
        where = f" ({source['url']})" if many else ""
        hint = (BROWSER_HINT if source.get("executeClientScripts") and not renderer_available()[0]
                else "")
        cap.problem = Problem(problem.outcome, problem.reason + where + hint, problem.code)
    cap.lines.extend(extracted.lines)
    cap.links.extend(extracted.links)


def capture_document(fetcher: Fetcher, doc: Document) -> Capture:
    cap = Capture()
    digest = hashlib.sha256()
    many = len(doc.sources) > 1
    auth = credentials.headers_for(doc.id)  # {} for public pages: the keyring is not touched
    for index, source in enumerate(doc.sources):
        previous = _latest_snapshot(doc, index)
        headers = previous.headers if previous is not None else {}
        try:
            # A plain fetch first; a bot wall or an empty app shell is retried in a real
            # browser when the optional renderer is installed.
            fetched: FetchResult = fetch_or_render(
                fetcher, source, etag=headers.get("etag"),
                last_modified=headers.get("last-modified"), extra_headers=auth or None)
        except FetchError as exc:
            cap.problem = Problem(Outcome.ERROR, f"{exc.reason}: {exc.detail}", exc.reason)
            cap.http_status = exc.status
            cap.retry_after_s = getattr(exc, "retry_after_s", None)
            return cap
        cap.http_status = fetched.status
        if fetched.not_modified and previous is not None:
            body = zlib.decompress(previous.raw)
            cap.sources.append(SourceCapture(source["url"], fetched.status, previous.headers,
                                             previous.content_type, None, previous.id))
            content_type, charset = previous.content_type, None
        else:
            body = fetched.body
            cap.sources.append(SourceCapture(fetched.url, fetched.status, fetched.headers,
                                             fetched.content_type, body))
            content_type, charset = fetched.content_type, fetched.charset
        digest.update(body)
        _extract_into(cap, source, body, content_type, charset, fetched.url, many)
    cap.raw_sha256 = digest.hexdigest()
    return cap


def recapture(doc: Document, snapshot_ids: list[int]) -> Capture | None:
    """Re-extract a version's stored snapshots (for a technical upgrade of the extractor)."""
    snaps = {s.source_index: s for s in Snapshot.select().where(Snapshot.id.in_(snapshot_ids))}
    if len(snaps) != len(doc.sources):
        return None
    cap = Capture()
    for index, source in enumerate(doc.sources):
        snap = snaps[index]
        body = zlib.decompress(snap.raw)
        cap.sources.append(SourceCapture(snap.url, snap.http_status, snap.headers,
                                         snap.content_type, None, snap.id))
        _extract_into(cap, source, body, snap.content_type, None, snap.url, len(snaps) > 1)
    return cap
