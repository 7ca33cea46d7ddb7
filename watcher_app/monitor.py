"""Check one document end to end: fetch → extract → validate → compare → (confirm) → record.

The monitor decides what a check found; recorder.py writes it (the only writer of versions and
changes), each outcome in one transaction after the network work is done, so a crash leaves
either the whole check or nothing. A per-document lease keeps two processes from checking the
same document at once. Outcomes are outcomes.Outcome: first | verified | noise | flap |
unconfirmed | changed | blocked | error | upgrade (| skipped when another process holds the
lease).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import peewee

from watcher_app import extract
from watcher_app.capture import Capture, capture_document
from watcher_app.check_result import CheckResult
from watcher_app.compare import compare
from watcher_app.extract.normalize import text_words
from watcher_app.fetch import Fetcher
from watcher_app.outcomes import Code, Origin, Outcome, VersionKind
from watcher_app.recorder import Recorder, current_version, record_error, result_for, sha256
from watcher_app.store import lease
from watcher_app.store.models import Document, Version, utcnow
from watcher_app.validate import Problem, collapsed

__all__ = ["CheckResult", "Monitor", "record_error", "sha256"]

FLAP_HISTORY = 6  # how many earlier versions a flap may return to
FLAP_WINDOW = dt.timedelta(days=30)  # ... if they were seen this recently
LEASE_MARGIN_S = 600.0  # a check holds its document's lease this long beyond its confirm delay
HISTORY = 12  # earlier versions compare may consult (re-dating, flaps up to noise)


class Monitor:
    def __init__(self, db: peewee.Database, fetcher: Fetcher | None = None, *,
                 confirm_delay_s: float = 60.0, sleep: Callable[[float], None] = time.sleep,
                 analyze: bool = True) -> None:
        self.db = db
        self.fetcher = fetcher or Fetcher()
        self.confirm_delay_s = confirm_delay_s
        self.sleep = sleep
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
        owner = lease.acquire(self.db, doc.id, self.confirm_delay_s + LEASE_MARGIN_S)
        if owner is None:
            reason = (f"already being checked by another process ({lease.holder(doc.id)}); "
                      "its result will be recorded")
            return result_for(doc, Outcome.SKIPPED, Code.ALREADY_CHECKING, reason)
        try:
            self._upgrade_if_needed(doc)
            started, clock = utcnow(), time.perf_counter()
            capture = capture_document(self.fetcher, doc)
            result = self._decide(doc, capture, started)
            result.duration_s = round(time.perf_counter() - clock, 3)
            return result
        finally:
            lease.release(self.db, doc.id, owner)

    # --- steps --------------------------------------------------------------------------

    def _decide(self, doc: Document, cap: Capture, started: dt.datetime) -> CheckResult:
        rec = self.recorder
        current = current_version(doc)
        if cap.problem is not None:
            return rec.failure(doc, cap, started)
        if current is None:
            return rec.version(doc, cap, started, None, VersionKind.FIRST, Code.FIRST_VERSION,
                               "first version")
        if current.origin != Origin.LIVE:  # perhaps the first live capture after an import
            from watcher_app.backfill.live import first_live_capture

            baseline = first_live_capture(rec, doc, cap, started, current)
            if baseline is not None:
                return baseline
        verdict = compare(current.text.split("\n"), cap.lines,
                          history=lambda: self._history(doc))
        if verdict.kind == "same":
            if sha256("\n".join(cap.lines)) != current.sha256:
                # Same words, other punctuation or layout: keep what the page shows, silently.
                return rec.version(doc, cap, started, current, VersionKind.NOISE,
                                   Code.LAYOUT_ONLY, "only punctuation or layout changed")
            return rec.verified(doc, cap, started, current)
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
        if self.confirm_delay_s > 0:
            self.sleep(self.confirm_delay_s)
        second = capture_document(self.fetcher, doc)
        shrank = collapsed(len(cap.words), len(text_words(current.text.split("\n"))))
        if second.problem is not None or second.words != cap.words:
            why = second.problem.reason if second.problem else "its text differs again"
            if shrank:
                # A collapsed text that a second fetch does not reproduce is a broken page.
                cap.problem = Problem(
                    Outcome.BLOCKED, "the text collapsed to under 40 % of the last good version "
                    f"and a second fetch did not confirm it ({why})", Code.COLLAPSED)
                return rec.failure(doc, cap, started)
            return rec.unconfirmed(doc, cap, started, current, why)
        reason = verdict.reason
        if shrank:
            reason += " (the text shrank by more than 60 %; confirmed by a second fetch)"
        analysis = _analyze(current.text, "\n".join(cap.lines)) if self.analyze else None
        return rec.version(doc, cap, started, current, VersionKind.CHANGE,
                           Code.CONFIRMED_CHANGE, reason, analysis)

    def _history(self, doc: Document) -> list[list[str]]:
        """Earlier versions' lines, newest first: compare asks for them only when a re-dated
        text or a possible flap needs them."""
        rows = (Version.select(Version.text)
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

    def _upgrade_if_needed(self, doc: Document) -> CheckResult | None:
        """A newer extractor re-reads the stored snapshot of the current version: a different
        text is recorded as a technical upgrade, never as a change."""
        current = current_version(doc)
        if current is None or current.extractor_version >= extract.EXTRACTOR_VERSION:
            return None
        from watcher_app.capture import recapture

        cap = recapture(doc, current.snapshots)
        if cap is None or cap.problem is not None:
            return None
        reason = (f"technical upgrade: extractor {current.extractor_version} → "
                  f"{extract.EXTRACTOR_VERSION} re-read the stored snapshot (no alert)")
        return self.recorder.upgrade(doc, cap, current, Code.EXTRACTOR_UPGRADE, reason)


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
