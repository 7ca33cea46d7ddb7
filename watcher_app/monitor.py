"""Check one document end to end. The only place that writes versions and changes.

fetch → extract → validate → compare with the current version → (confirm) → record. Network
work happens first; everything a check writes is then committed in one transaction, so a crash
leaves either the whole check or nothing. States (all recorded in the `check` table):
first | unchanged (verified, noise or flap) | changed | blocked | error | upgrade.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import peewee

from watcher_app import extract
from watcher_app.capture import Capture, capture_document
from watcher_app.compare import compare
from watcher_app.extract.normalize import text_words, words_sha256
from watcher_app.fetch import Fetcher
from watcher_app.store.models import Change, Check, Document, Snapshot, Version, utcnow
from watcher_app.validate import collapsed

FLAP_HISTORY = 6  # how many earlier versions a flap may return to
FLAP_WINDOW = dt.timedelta(days=30)  # ... if they were seen this recently
HISTORY = 12  # earlier versions compare may consult (re-dating, flaps up to noise)


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def key_sha(lines: list[str]) -> str:
    return words_sha256(text_words(lines))


@dataclass
class CheckResult:
    """What a check reports (the `check --json` contract)."""

    platform: str
    document: str
    status: str
    version: int | None = None
    sha256: str | None = None
    reason: str = ""
    change: int | None = None
    severity: str | None = None
    categories: list[str] = field(default_factory=list)
    summary: str | None = None
    effective_date: str | None = None
    duration_s: float = 0.0
    retry_after_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def touch_document(doc: Document, started: dt.datetime, outcome: str, reason: str,
                   failed: bool, retry_after_s: float | None = None) -> None:
    """One UPDATE of the check columns only: an edit of the document made while the check
    ran (sources, active) is never reverted, and the failure count is counted in SQL."""
    failures = Document.consecutive_failures + 1 if failed else 0
    retry = started + dt.timedelta(seconds=retry_after_s) if retry_after_s else None
    (Document.update(last_check_at=started, last_outcome=outcome, last_reason=reason,
                     consecutive_failures=failures, retry_not_before=retry)
     .where(Document.id == doc.id).execute())
    fresh = Document.get_by_id(doc.id)
    doc.last_check_at, doc.last_outcome, doc.last_reason = started, outcome, reason
    doc.consecutive_failures, doc.retry_not_before = (fresh.consecutive_failures,
                                                      fresh.retry_not_before)


def record_error(db: peewee.Database, doc: Document, reason: str, *,
                 started: dt.datetime | None = None, duration_s: float = 0.0) -> CheckResult:
    """A check that failed outside the monitor (it raised, hung or was killed), recorded like
    any failed check: a Check row and the document's health, in one transaction."""
    started = started or utcnow()
    with db.atomic():
        Check.create(document=doc.id, started_at=started, duration_s=duration_s,
                     outcome="error", reason=reason)
        touch_document(doc, started, "error", reason, failed=True)
    return CheckResult(doc.platform_id, doc.type, "error", reason=reason,
                       duration_s=round(duration_s, 3))


class Monitor:
    def __init__(self, db: peewee.Database, fetcher: Fetcher | None = None, *,
                 confirm_delay_s: float = 60.0, sleep: Callable[[float], None] = time.sleep,
                 analyze: bool = True) -> None:
        self.db = db
        self.fetcher = fetcher or Fetcher()
        self.confirm_delay_s = confirm_delay_s
        self.sleep = sleep
        self.analyze = analyze

    # --- public -------------------------------------------------------------------------

    def check(self, doc: Document) -> CheckResult:
        self._upgrade_if_needed(doc)
        started, clock = utcnow(), time.perf_counter()
        capture = capture_document(self.fetcher, doc)
        result = self._decide(doc, capture, started)
        result.duration_s = round(time.perf_counter() - clock, 3)
        return result

    # --- steps --------------------------------------------------------------------------

    def _current(self, doc: Document) -> Version | None:
        return (Version.select().where((Version.document == doc) & (Version.current == True))  # noqa: E712
                .order_by(Version.id.desc()).first())

    def _result(self, doc: Document, status: str, version: Version | None, reason: str = ""
                ) -> CheckResult:
        return CheckResult(doc.platform_id, doc.type, status, version.id if version else None,
                           version.sha256 if version else None, reason)

    def _decide(self, doc: Document, cap: Capture, started: dt.datetime) -> CheckResult:
        current = self._current(doc)
        if cap.problem is not None:
            return self._record_failure(doc, cap, started, current)
        if current is None:
            return self._record_version(doc, cap, started, None, "first", "first version")
        verdict = compare(current.text.split("\n"), cap.lines,
                          history=lambda: self._history(doc))
        if verdict.kind == "same":
            return self._record_same(doc, cap, started, current)
        flap = self._flap_target(doc, current, cap)
        if flap is not None:
            return self._record_return(doc, cap, started, current, flap)
        if verdict.kind in ("truncated", "blocked"):
            cap.problem = ("blocked", verdict.reason)
            return self._record_failure(doc, cap, started, current)
        if verdict.kind == "noise":
            return self._record_version(doc, cap, started, current, "noise", verdict.reason)
        # A real change: believe it only when a second fetch shows the same words.
        if self.confirm_delay_s > 0:
            self.sleep(self.confirm_delay_s)
        second = capture_document(self.fetcher, doc)
        shrank = collapsed(len(cap.words), len(text_words(current.text.split("\n"))))
        if second.problem is not None or second.words != cap.words:
            why = second.problem[1] if second.problem else "its text differs again"
            if shrank:
                # A collapsed text that a second fetch does not reproduce is a broken page.
                cap.problem = ("blocked", "the text collapsed to under 40 % of the last good "
                                          f"version and a second fetch did not confirm it ({why})")
                return self._record_failure(doc, cap, started, current)
            return self._record_unconfirmed(doc, cap, started, current, why)
        reason = verdict.reason
        if shrank:
            reason += " (the text shrank by more than 60 %; confirmed by a second fetch)"
        return self._record_version(doc, cap, started, current, "change", reason)

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

    # --- recording (each one transaction) ----------------------------------------------

    def _touch_document(self, doc: Document, started: dt.datetime, outcome: str, reason: str,
                        failed: bool, retry_after_s: float | None = None) -> None:
        touch_document(doc, started, outcome, reason, failed, retry_after_s)

    def _check_row(self, doc: Document, started: dt.datetime, outcome: str, reason: str,
                   cap: Capture, version: Version | None) -> None:
        Check.create(document=doc, started_at=started, outcome=outcome, reason=reason,
                     duration_s=(utcnow() - started).total_seconds(), http_status=cap.http_status,
                     raw_sha256=cap.raw_sha256, version=version)

    def _record_failure(self, doc: Document, cap: Capture, started: dt.datetime,
                        current: Version | None) -> CheckResult:
        outcome, reason = cap.problem or ("error", "unknown failure")
        with self.db.atomic():
            self._check_row(doc, started, outcome, reason, cap, None)
            self._touch_document(doc, started, outcome, reason, failed=True,
                                 retry_after_s=cap.retry_after_s)
        result = self._result(doc, outcome, None, reason)
        result.retry_after_s = cap.retry_after_s
        return result

    def _record_same(self, doc: Document, cap: Capture, started: dt.datetime, current: Version
                     ) -> CheckResult:
        text = "\n".join(cap.lines)
        if sha256(text) != current.sha256:
            # Same words, other punctuation or layout: keep what the page shows, silently.
            return self._record_version(doc, cap, started, current, "noise",
                                        "only punctuation or layout changed")
        with self.db.atomic():
            Version.update(last_verified=started).where(Version.id == current.id).execute()
            self._check_row(doc, started, "unchanged", "verified", cap, current)
            self._touch_document(doc, started, "unchanged", "verified", failed=False)
        return self._result(doc, "unchanged", current, "verified: same text")

    def _record_return(self, doc: Document, cap: Capture, started: dt.datetime,
                       current: Version, target: Version) -> CheckResult:
        reason = (f"flap: the text is back to version {target.id} of "
                  f"{target.first_seen:%Y-%m-%d %H:%M} (no alert)")
        with self.db.atomic():
            Version.update(current=False).where(Version.id == current.id).execute()
            Version.update(current=True, last_verified=started).where(
                Version.id == target.id).execute()
            self._check_row(doc, started, "unchanged", reason, cap, target)
            self._touch_document(doc, started, "unchanged", reason, failed=False)
        return self._result(doc, "unchanged", target, reason)

    def _record_unconfirmed(self, doc: Document, cap: Capture, started: dt.datetime,
                            current: Version, why: str) -> CheckResult:
        reason = f"unconfirmed change: a second fetch disagreed ({why}); nothing recorded"
        with self.db.atomic():
            self._check_row(doc, started, "unchanged", reason, cap, current)
            self._touch_document(doc, started, "unchanged", reason, failed=False)
        return self._result(doc, "unchanged", current, reason)

    def _store_snapshots(self, doc: Document, cap: Capture) -> list[int]:
        ids = []
        for index, source in enumerate(cap.sources):
            if source.body is None:  # 304: the stored snapshot is still the evidence
                if source.snapshot_id is not None:
                    ids.append(source.snapshot_id)
                continue
            digest = sha256(source.body)
            existing = (Snapshot.select(Snapshot.id)
                        .where((Snapshot.document == doc) & (Snapshot.sha256 == digest)).first())
            if existing is not None:
                ids.append(existing.id)
                continue
            snap = Snapshot.create(
                document=doc, source_index=index, url=source.url, fetched_at=cap.fetched_at,
                http_status=source.status, headers=source.headers,
                content_type=source.content_type, sha256=digest, size=len(source.body),
                raw=zlib.compress(source.body, 6))
            ids.append(snap.id)
        return ids

    def _record_version(self, doc: Document, cap: Capture, started: dt.datetime,
                        current: Version | None, kind: str, reason: str) -> CheckResult:
        text = "\n".join(cap.lines)
        digest = sha256(text)
        analysis = None
        if kind == "change" and current is not None and self.analyze:
            analysis = _analyse(current.text, text)
        with self.db.atomic():
            snapshot_ids = self._store_snapshots(doc, cap)
            Version.update(current=False).where(
                (Version.document == doc) & (Version.current == True)).execute()  # noqa: E712
            version = Version.create(
                document=doc, text=text, sha256=digest, key_sha256=cap.key_sha256,
                links=cap.links, snapshots=snapshot_ids,
                extractor_version=extract.EXTRACTOR_VERSION, kind=kind, first_seen=started,
                last_verified=started, current=True)
            change = None
            if kind == "change" and current is not None:
                change = Change.create(
                    document=doc, from_version=current, to_version=version, detected_at=started,
                    stats=_diff_stats(current.text, text), **(analysis or {}))
            outcome = {"first": "first", "change": "changed"}.get(kind, "unchanged")
            self._check_row(doc, started, outcome, reason, cap, version)
            self._touch_document(doc, started, outcome, reason, failed=False)
        result = self._result(doc, outcome, version, reason)
        if change is not None:
            result.change = change.id
            result.severity, result.categories = change.severity, list(change.categories or [])
            result.summary, result.effective_date = change.summary, change.effective_date
        return result

    # --- technical upgrade -----------------------------------------------------------------

    def _upgrade_if_needed(self, doc: Document) -> CheckResult | None:
        """A newer extractor re-reads the stored snapshot of the current version: a different
        text is recorded as a technical upgrade, never as a change."""
        current = self._current(doc)
        if current is None or current.extractor_version >= extract.EXTRACTOR_VERSION:
            return None
        from watcher_app.capture import recapture

        cap = recapture(doc, current.snapshots)
        if cap is None or cap.problem is not None:
            return None
        text, started = "\n".join(cap.lines), utcnow()
        with self.db.atomic():
            if sha256(text) == current.sha256:
                Version.update(extractor_version=extract.EXTRACTOR_VERSION).where(
                    Version.id == current.id).execute()
                version = current
            else:
                Version.update(current=False).where(Version.id == current.id).execute()
                version = Version.create(
                    document=doc, text=text, sha256=sha256(text), key_sha256=cap.key_sha256,
                    links=cap.links, snapshots=current.snapshots,
                    extractor_version=extract.EXTRACTOR_VERSION, kind="upgrade",
                    first_seen=started, last_verified=current.last_verified, current=True)
            reason = (f"technical upgrade: extractor {current.extractor_version} → "
                      f"{extract.EXTRACTOR_VERSION} re-read the stored snapshot (no alert)")
            self._check_row(doc, started, "upgrade", reason, cap, version)
        return self._result(doc, "upgrade", version, reason)


def _diff_stats(old: str, new: str) -> dict[str, Any]:
    from watcher_app.diff import diff_texts

    result = diff_texts(old, new, budget_s=1.0)
    return {**asdict(result.stats), "degraded": result.degraded}


def _analyse(old: str, new: str) -> dict[str, Any] | None:
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
