"""Check one document end to end: fetch → extract → validate → compare → (confirm) → record.

The monitor decides what a check found; recorder.py writes it (the only writer of versions and
changes), each outcome in one transaction after the network work is done, so a crash leaves
either the whole check or nothing. A per-document lease keeps two processes from checking the
same document at once. Outcomes are outcomes.Outcome: first | verified | noise | flap |
unconfirmed | changed | blocked | error | upgrade (| skipped when another process holds the
lease).

A check is two steps when the page really changed: `first_pass` returns a `PendingChange`
(nothing recorded, the lease kept) and `confirm` makes the second fetch when it is due, so
callers run other checks during the wait instead of sleeping in it (cycle.py, scheduler.py).
`check` does both in one call, sleeping in between, for callers with one document.

An unchanged page costs next to nothing: the very bytes of the current version's snapshot (or
a 304) are not read again (capture.py), and an equal comparison-key hash settles "same words"
without comparing word by word or even loading the stored text.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import peewee

from watcher_app import drift, extract
from watcher_app.capture import Capture, capture_document
from watcher_app.check_result import CheckResult
from watcher_app.compare import compare
from watcher_app.extract.normalize import text_words
from watcher_app.fetch import Fetcher
from watcher_app.outcomes import Code, Origin, Outcome, VersionKind
from watcher_app.pending import PendingChange
from watcher_app.recorder import Recorder, current_version, record_error, result_for, sha256
from watcher_app.store import lease
from watcher_app.store.models import Document, Platform, Version, utcnow
from watcher_app.validate import Problem, collapsed

__all__ = ["CheckResult", "Monitor", "PendingChange", "record_error", "sha256"]

FLAP_HISTORY = 6  # how many earlier versions a flap may return to
FLAP_WINDOW = dt.timedelta(days=30)  # ... if they were seen this recently
LEASE_MARGIN_S = 600.0  # a check holds its document's lease this long beyond its confirm delay
HISTORY = 12  # earlier versions compare may consult (re-dating, flaps up to noise)


def _data_dir_of(db: peewee.Database) -> Path | None:
    name = getattr(db, "database", None)
    return Path(name).parent if isinstance(name, str) and name not in ("", ":memory:") else None


class Monitor:
    def __init__(self, db: peewee.Database, fetcher: Fetcher | None = None, *,
                 confirm_delay_s: float = 60.0, sleep: Callable[[float], None] = time.sleep,
                 analyze: bool = True, clock: Callable[[], float] = time.time,
                 fallbacks: drift.FallbackFinder | None = None) -> None:
        """`fallbacks`: where a check looks when a declared selector stops matching (default:
        the OTA declarations stored in the database's folder, then the page's structure)."""
        self.db = db
        self.fallbacks = fallbacks or drift.finder_for(_data_dir_of(db))
        self.fetcher = fetcher or Fetcher()
        self.confirm_delay_s = confirm_delay_s
        self.sleep = sleep
        self.clock = clock  # the wall clock of PendingChange.due_at
        self.analyze = analyze
        self.recorder = Recorder(db)

    # --- public -------------------------------------------------------------------------

    def close(self) -> None:
        """Close the fetcher's connections (the monitor owns the fetcher it is given)."""
        self.fetcher.close()

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def check(self, doc: Document) -> CheckResult:
        """Both steps in one call: the first pass and, for a change, the confirmation after
        sleeping through the delay."""
        first = self.first_pass(doc)
        if isinstance(first, CheckResult):
            return first
        wait = first.due_at - self.clock()
        if wait > 0:
            self.sleep(wait)
        return self.confirm(first)

    def first_pass(self, doc: Document) -> CheckResult | PendingChange:
        """Fetch, read and compare; record the outcome, or return the change that awaits its
        confirming second fetch (nothing recorded, the lease kept until `confirm`)."""
        owner = lease.acquire(self.db, doc.id, self.confirm_delay_s + LEASE_MARGIN_S,
                              lease.check_owner())
        if owner is None:
            return _skipped(doc)
        waiting = False
        try:
            current = self._upgrade_if_needed(doc, current_version(doc))
            started, clock = utcnow(), time.perf_counter()
            capture = capture_document(self.fetcher, doc, current, fallbacks=self.fallbacks)
            outcome = self._decide(doc, capture, started, current)
            if isinstance(outcome, _Unconfirmed):
                waiting = True
                return self._pending(doc, capture, started, outcome, owner,
                                     time.perf_counter() - clock)
            outcome.duration_s = round(time.perf_counter() - clock, 3)
            return outcome
        finally:
            if not waiting:
                lease.release(self.db, doc.id, owner)

    def confirm(self, pending: PendingChange) -> CheckResult:
        """The second fetch of a change: record it when it shows the same words, else record
        why it was not believed. Call it at `pending.due_at` (not before: the delay is what
        lets a flapping or half-deployed page settle)."""
        doc = Document.get_or_none(Document.id == pending.document_id)
        if doc is None:
            return CheckResult(pending.platform, pending.document, Outcome.SKIPPED, "",
                               "the document was removed meanwhile; nothing recorded",
                               document_id=pending.document_id)
        # Re-taken by the same holder: still ours unless it expired and another check took it.
        owner = lease.acquire(self.db, doc.id, LEASE_MARGIN_S, pending.lease_owner)
        if owner is None:
            return _skipped(doc)
        try:
            clock = time.perf_counter()
            result = self._confirm(doc, pending)
            result.duration_s = round(pending.duration_s + time.perf_counter() - clock, 3)
            return result
        finally:
            lease.release(self.db, doc.id, owner)

    # --- steps --------------------------------------------------------------------------

    def _decide(self, doc: Document, cap: Capture, started: dt.datetime,
                current: Version | None) -> CheckResult | _Unconfirmed:
        rec = self.recorder
        if cap.problem is not None:
            return rec.failure(doc, cap, started)
        if current is None:
            return rec.version(doc, cap, started, None, VersionKind.FIRST, Code.FIRST_VERSION,
                               "first version")
        switched = drift.pending_switch(doc)
        if switched is not None:  # the first capture with a newer OTA declaration
            # The mark goes only once this capture is recorded: a crash in between leaves it,
            # and a later capture equal to the current text clears it just the same.
            if not cap.same_raw and cap.key_sha256 != current.key_sha256:
                upgraded = rec.version(doc, cap, started, current, VersionKind.UPGRADE,
                                       Code.DECLARATION_UPGRADE, switched)
                drift.clear_switch(doc)
                return upgraded
            drift.clear_switch(doc)
        if current.origin != Origin.LIVE:  # perhaps the first live capture after an import
            from watcher_app.backfill.live import first_live_capture

            baseline = first_live_capture(rec, doc, cap, started, current)
            if baseline is not None:
                return baseline
        if cap.same_raw or sha256("\n".join(cap.lines)) == current.sha256:
            # the very text (or even the very bytes): nothing to compare
            return self._verified(doc, cap, started, current)
        if cap.key_sha256 == current.key_sha256:
            # the same words (the key's hash says so without comparing them one by one)
            return self._same_words(doc, cap, started, current)
        verdict = compare(current.text.split("\n"), cap.lines,
                          history=lambda: self._history(doc))
        if verdict.kind == "same":  # a key stored by an older normaliser
            return self._same_words(doc, cap, started, current)
        flap = self._flap_target(doc, current, cap)
        if flap is not None:
            return rec.flap(doc, cap, started, current, flap)
        if verdict.kind in ("truncated", "blocked"):
            code = Code.TRUNCATED if verdict.kind == "truncated" else Code.NOT_THE_POLICY
            cap.problem = Problem(Outcome.BLOCKED, verdict.reason, code)
            return rec.failure(doc, cap, started)
        if verdict.kind == "noise":
            return rec.version(doc, cap, started, current, VersionKind.NOISE, Code.NOISE,
                               verdict.reason)
        # A real change: believe it only when a second fetch shows the same words.
        shrank = collapsed(len(cap.words), len(text_words(current.text.split("\n"))))
        return _Unconfirmed(current, verdict.reason, shrank)

    def _same_words(self, doc: Document, cap: Capture, started: dt.datetime,
                    current: Version) -> CheckResult:
        if sha256("\n".join(cap.lines)) != current.sha256:
            # Same words, other punctuation or layout: keep what the page shows, silently.
            return self.recorder.version(doc, cap, started, current, VersionKind.NOISE,
                                         Code.LAYOUT_ONLY, "only punctuation or layout changed")
        return self._verified(doc, cap, started, current)

    def _verified(self, doc: Document, cap: Capture, started: dt.datetime,
                  current: Version) -> CheckResult:
        if not cap.degraded:
            return self.recorder.verified(doc, cap, started, current)
        # The text is the current version's, read through a fallback: no change, but the
        # declaration needs a look (the health view says so).
        used = "; ".join(f"{r['from']}: {drift.selector_text(r['select'])}"
                         for r in cap.detail["read_with"])
        return self.recorder.verified(
            doc, cap, started, current, Outcome.DEGRADED, Code.FALLBACK_SELECTOR,
            f"verified, read with a fallback selector ({used}): the declared selector no "
            "longer matches")

    def _pending(self, doc: Document, cap: Capture, started: dt.datetime, seen: _Unconfirmed,
                 owner: str, elapsed: float) -> PendingChange:
        platform = Platform.get_or_none(Platform.id == doc.platform_id)
        return PendingChange(
            document_id=doc.id, platform=doc.platform_id, document=doc.type,
            label=f"{platform.name if platform else doc.platform_id} {doc.type}",
            lease_owner=owner, current_id=seen.current.id, key_sha256=cap.key_sha256,
            reason=seen.reason, shrank=seen.shrank, started_at=started.isoformat(),
            due_at=self.clock() + max(self.confirm_delay_s, 0.0), http_status=cap.http_status,
            raw_sha256=cap.raw_sha256, duration_s=round(elapsed, 3))

    def _confirm(self, doc: Document, pending: PendingChange) -> CheckResult:
        rec = self.recorder
        started = dt.datetime.fromisoformat(pending.started_at)
        current = Version.get_by_id(pending.current_id)
        second = capture_document(self.fetcher, doc, fallbacks=self.fallbacks, baseline=current)
        # The check row of a disbelieved change describes the first fetch, which saw it.
        first = Capture(http_status=pending.http_status, raw_sha256=pending.raw_sha256)
        if second.problem is not None or second.key_sha256 != pending.key_sha256:
            why = second.problem.reason if second.problem else "its text differs again"
            if pending.shrank:
                # A collapsed text that a second fetch does not reproduce is a broken page.
                first.problem = Problem(
                    Outcome.BLOCKED, "the text collapsed to under 40 % of the last good version "
                    f"and a second fetch did not confirm it ({why})", Code.COLLAPSED)
                return rec.failure(doc, first, started)
            return rec.unconfirmed(doc, first, started, current, why)
        reason = pending.reason
        if pending.shrank:
            reason += " (the text shrank by more than 60 %; confirmed by a second fetch)"
        # The second fetch has the same words: its text and snapshots are what is kept.
        analysis = _analyze(current.text, "\n".join(second.lines)) if self.analyze else None
        return rec.version(doc, second, started, current, VersionKind.CHANGE,
                           Code.CONFIRMED_CHANGE, reason, analysis)

    def _history(self, doc: Document) -> list[list[str]]:
        """Earlier versions' lines, newest first: compare asks for them only when a re-dated
        text or a possible flap needs them."""
        rows = (Version.select(Version.id, Version.text_chunks)
                .where((Version.document == doc) & (Version.current == False))  # noqa: E712
                .order_by(Version.first_seen.desc()).limit(HISTORY))
        return [row.text.split("\n") for row in rows]

    def _flap_target(self, doc: Document, current: Version, cap: Capture) -> Version | None:
        """A recent earlier version with exactly these words: the page flaps between variants."""
        wanted = cap.key_sha256
        since = utcnow() - FLAP_WINDOW
        recent = (Version.select().where((Version.document == doc) & (Version.id != current.id)
                                         & (Version.last_verified >= since))
                  .order_by(Version.id.desc()).limit(FLAP_HISTORY))
        return next((v for v in recent if v.key_sha256 == wanted), None)

    # --- technical upgrade -----------------------------------------------------------------

    def _upgrade_if_needed(self, doc: Document, current: Version | None) -> Version | None:
        """A newer extractor re-reads the stored snapshot of the current version: a different
        text is recorded as a technical upgrade, never as a change. Returns the version the
        check compares with (the upgraded one, if any)."""
        if current is None or current.extractor_version >= extract.EXTRACTOR_VERSION:
            return current
        from watcher_app.capture import recapture

        cap = recapture(doc, current.snapshots)
        if cap is None or cap.problem is not None:
            return current
        reason = (f"technical upgrade: extractor {current.extractor_version} → "
                  f"{extract.EXTRACTOR_VERSION} re-read the stored snapshot (no alert)")
        self.recorder.upgrade(doc, cap, current, Code.EXTRACTOR_UPGRADE, reason)
        return current_version(doc)


@dataclass(frozen=True)
class _Unconfirmed:
    """What the first pass saw of a real change, before the second fetch."""

    current: Version
    reason: str
    shrank: bool


def _skipped(doc: Document) -> CheckResult:
    reason = (f"already being checked by another process ({lease.holder(doc.id)}); "
              "its result will be recorded")
    return result_for(doc, Outcome.SKIPPED, Code.ALREADY_CHECKING, reason)


def _analyze(old: str, new: str) -> dict[str, Any] | None:
    """The analysis fields of a change; a failure of the analysis never loses the change."""
    try:
        from watcher_app.analysis import analyze_change
    except Exception:  # noqa: BLE001 - a broken analysis install must not stop recording
        return None
    try:
        analysis = analyze_change(old, new)
    except Exception as exc:  # noqa: BLE001 - recorded, the change itself still stands
        return {"summary": f"(analysis failed: {exc})"}
    return {"severity": analysis.severity, "categories": list(analysis.categories),
            "summary": analysis.summary, "effective_date": analysis.effective_date,
            "analysis": analysis.to_json()}
