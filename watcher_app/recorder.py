"""The one writer of check outcomes: versions, changes, check rows and a document's health.

The monitor decides what a check found; everything it found is written here, and so is every
failure that happened elsewhere (the scheduler's watchdog, a check process that died, an
exception in the command line), so a document's history and failure count never depend on
where a check went wrong.

Each write is one `BEGIN IMMEDIATE` transaction: it takes SQLite's write lock before reading,
so two processes (the app and the command line) serialise instead of failing with "database is
locked", and the current version is re-read inside it: a check that finds the version already
moved by another process records nothing new.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import peewee

from watcher_app import extract
from watcher_app.check_result import CheckResult
from watcher_app.outcomes import Code, Origin, Outcome, VersionKind
from watcher_app.store import lease
from watcher_app.store.models import (
    Change,
    Check,
    Document,
    Setting,
    Snapshot,
    Version,
    utcnow,
)
from watcher_app.store.versions import version_number

if TYPE_CHECKING:
    from watcher_app.capture import Capture


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def current_version(doc: Document | int) -> Version | None:
    current: Version | None = (
        Version.select().where((Version.document == doc) & (Version.current == True))  # noqa: E712
        .order_by(Version.id.desc()).first())
    return current


def touch_document(doc: Document, started: dt.datetime, outcome: Outcome, code: str,
                   reason: str, retry_after_s: float | None = None) -> None:
    """One UPDATE of the check columns only: an edit of the document made while the check
    ran (sources, active) is never reverted, and the failure count is counted in SQL."""
    failures = Document.consecutive_failures + 1 if outcome.failed else 0
    retry = started + dt.timedelta(seconds=retry_after_s) if retry_after_s else None
    (Document.update(last_check_at=started, last_outcome=str(outcome), last_code=code,
                     last_reason=reason, consecutive_failures=failures, retry_not_before=retry)
     .where(Document.id == doc.id).execute())
    doc.last_check_at, doc.last_outcome, doc.last_reason = started, str(outcome), reason
    doc.last_code, doc.retry_not_before = code, retry
    if outcome.failed:  # the count was made in SQL: read it back
        doc.consecutive_failures = Document.get_by_id(doc.id).consecutive_failures
    else:
        doc.consecutive_failures = 0


def result_for(doc: Document, outcome: Outcome, code: str, reason: str,
               version: Version | None = None, duration_s: float = 0.0) -> CheckResult:
    return CheckResult(doc.platform_id, doc.type, outcome, code, reason,
                       version=version_number(version) if version else None,
                       version_id=version.id if version else None,
                       sha256=version.sha256 if version else None,
                       duration_s=round(duration_s, 3), document_id=doc.id)


def record_failure(db: peewee.Database, doc: Document, outcome: Outcome, code: str, reason: str,
                   *, started: dt.datetime | None = None, duration_s: float = 0.0,
                   http_status: int | None = None, raw_sha256: str | None = None,
                   retry_after_s: float | None = None) -> CheckResult:
    """A check that stored nothing (blocked, error): a check row and the document's health."""
    started = started or utcnow()
    with db.atomic("IMMEDIATE"):
        Check.create(document=doc.id, started_at=started, duration_s=duration_s,
                     outcome=str(outcome), code=code, reason=reason, http_status=http_status,
                     raw_sha256=raw_sha256)
        touch_document(doc, started, outcome, code, reason, retry_after_s)
    result = result_for(doc, outcome, code, reason, duration_s=duration_s)
    result.retry_after_s = retry_after_s
    return result


def record_error(db: peewee.Database, doc: Document, reason: str, *, code: str = Code.INTERNAL,
                 started: dt.datetime | None = None, duration_s: float = 0.0) -> CheckResult:
    """A check that failed outside the monitor (it raised, hung or was killed)."""
    return record_failure(db, doc, Outcome.ERROR, code, reason, started=started,
                          duration_s=duration_s)


def settle(db: peewee.Database, doc: Document, result: CheckResult, *,
           started: dt.datetime | None = None) -> CheckResult:
    """Every result passes here once: a failure nobody could record yet is recorded now."""
    if result.recorded:
        return result
    lease.clear_if_dead(db, doc.id)  # a killed check process cannot release its own
    outcome = result.outcome if result.outcome.failed else Outcome.ERROR
    recorded = record_failure(db, doc, outcome, result.code or Code.INTERNAL, result.reason,
                              started=started, duration_s=result.duration_s)
    return recorded


class Recorder:
    """Writes what Monitor found, each outcome in one transaction."""

    def __init__(self, db: peewee.Database) -> None:
        self.db = db

    def _check_row(self, doc: Document, started: dt.datetime, outcome: Outcome, code: str,
                   reason: str, cap: Capture, version: Version | None,
                   detail: dict[str, Any] | None = None) -> None:
        detail = detail or cap.detail or None
        duration = (utcnow() - started).total_seconds()
        if outcome in (Outcome.VERIFIED, Outcome.DEGRADED) and _extend_run(
                doc, outcome, code, version, detail, started, duration, cap):
            return
        Check.create(document=doc, started_at=started, outcome=str(outcome), code=code,
                     reason=reason, duration_s=duration, http_status=cap.http_status,
                     raw_sha256=cap.raw_sha256, version=version, detail=detail)

    def failure(self, doc: Document, cap: Capture, started: dt.datetime) -> CheckResult:
        assert cap.problem is not None
        problem = cap.problem
        return record_failure(self.db, doc, problem.outcome, problem.code, problem.reason,
                              started=started, duration_s=(utcnow() - started).total_seconds(),
                              http_status=cap.http_status, raw_sha256=cap.raw_sha256,
                              retry_after_s=cap.retry_after_s)

    def _moved(self, doc: Document, expected: Version | None, cap: Capture,
               started: dt.datetime) -> CheckResult | None:
        """Inside the write transaction: did another process record a version while this
        check ran? Then this one records nothing new: it verified the newer version, or it
        leaves the document to its next check."""
        now_current = current_version(doc)
        if (now_current.id if now_current else None) == (expected.id if expected else None):
            return None
        if now_current is not None and now_current.key_sha256 == cap.key_sha256:
            Version.update(last_verified=started).where(Version.id == now_current.id).execute()
            reason = "verified: another check recorded this text meanwhile"
            self._check_row(doc, started, Outcome.VERIFIED, Code.SAME_TEXT, reason, cap,
                            now_current)
            touch_document(doc, started, Outcome.VERIFIED, Code.SAME_TEXT, reason)
            return result_for(doc, Outcome.VERIFIED, Code.SAME_TEXT, reason, now_current)
        reason = ("another check recorded a new version while this one ran; nothing recorded "
                  "(the next check compares with it)")
        return result_for(doc, Outcome.UNCONFIRMED, Code.UNCONFIRMED, reason, now_current)

    def verified(self, doc: Document, cap: Capture, started: dt.datetime, current: Version,
                 outcome: Outcome = Outcome.VERIFIED, code: str = Code.SAME_TEXT,
                 reason: str = "verified") -> CheckResult:
        with self.db.atomic("IMMEDIATE"):
            moved = self._moved(doc, current, cap, started)
            if moved is not None:
                return moved
            # These very bytes read as exactly this text: the next fetch of the same bytes
            # needs no reading (capture.py); not set where only the words were compared.
            same_text = outcome is Outcome.VERIFIED and code == Code.SAME_TEXT
            Version.update(last_verified=started, **(
                {"raw_sha256": cap.raw_sha256} if same_text and cap.raw_sha256 else {})
            ).where(Version.id == current.id).execute()
            self._check_row(doc, started, outcome, code, reason, cap, current)
            touch_document(doc, started, outcome, code, reason)
        shown = "verified: same text" if outcome is Outcome.VERIFIED else reason
        return result_for(doc, outcome, code, shown, current)

    def flap(self, doc: Document, cap: Capture, started: dt.datetime, current: Version,
             target: Version) -> CheckResult:
        reason = (f"flap: the text is back to version {version_number(target)} of "
                  f"{target.first_seen:%Y-%m-%d %H:%M} (no alert)")
        with self.db.atomic("IMMEDIATE"):
            moved = self._moved(doc, current, cap, started)
            if moved is not None:
                return moved
            Version.update(current=False).where(Version.id == current.id).execute()
            Version.update(current=True, last_verified=started).where(
                Version.id == target.id).execute()
            self._check_row(doc, started, Outcome.FLAP, Code.FLAP, reason, cap, target)
            touch_document(doc, started, Outcome.FLAP, Code.FLAP, reason)
        return result_for(doc, Outcome.FLAP, Code.FLAP, reason, target)

    def unconfirmed(self, doc: Document, cap: Capture, started: dt.datetime, current: Version,
                    why: str) -> CheckResult:
        reason = f"unconfirmed change: a second fetch disagreed ({why}); nothing recorded"
        with self.db.atomic("IMMEDIATE"):
            self._check_row(doc, started, Outcome.UNCONFIRMED, Code.UNCONFIRMED, reason, cap,
                            current)
            touch_document(doc, started, Outcome.UNCONFIRMED, Code.UNCONFIRMED, reason)
        return result_for(doc, Outcome.UNCONFIRMED, Code.UNCONFIRMED, reason, current)

    @staticmethod
    def _prepare_snapshots(doc: Document, cap: Capture) -> list[Snapshot | int | None]:
        """Outside the write lock: the new snapshots, cut and compressed (see store/content),
        or the id of the stored one a 304 pointed at."""
        out: list[Snapshot | int | None] = []
        for index, source in enumerate(cap.sources):
            if source.body is None:  # 304: the stored snapshot is still the evidence
                out.append(source.snapshot_id)
                continue
            out.append(Snapshot(
                document=doc, source_index=index, url=source.url, fetched_at=cap.fetched_at,
                http_status=source.status, headers=source.headers,
                content_type=source.content_type, sha256=sha256(source.body),
                size=len(source.body), body=source.body))
        return out

    @staticmethod
    def _store_snapshots(doc: Document, prepared: list[Snapshot | int | None]) -> list[int]:
        ids = []
        for snap in prepared:
            if snap is None or isinstance(snap, int):
                if snap is not None:
                    ids.append(snap)
                continue
            existing = (Snapshot.select(Snapshot.id)
                        .where((Snapshot.document == doc) & (Snapshot.sha256 == snap.sha256))
                        .first())
            if existing is not None:
                ids.append(existing.id)
                continue
            snap.save(force_insert=True)
            ids.append(snap.id)
        return ids

    def version(self, doc: Document, cap: Capture, started: dt.datetime,
                current: Version | None, kind: VersionKind, code: str, reason: str,
                analysis: dict[str, Any] | None = None) -> CheckResult:
        """A new current version (first, noise, change or upgrade) with its snapshots and, for a
        change, the change and its analysis (computed by the caller, outside the lock)."""
        text = "\n".join(cap.lines)
        outcome = {VersionKind.FIRST: Outcome.FIRST, VersionKind.CHANGE: Outcome.CHANGED,
                   VersionKind.UPGRADE: Outcome.UPGRADE}.get(kind, Outcome.NOISE)
        # The slow parts before the write lock: cutting and compressing, the diff statistics.
        snapshots = self._prepare_snapshots(doc, cap)
        version = Version(document=doc, text=text, sha256=sha256(text),
                          key_sha256=cap.key_sha256, raw_sha256=cap.raw_sha256, links=cap.links,
                          extractor_version=extract.EXTRACTOR_VERSION, kind=str(kind),
                          first_seen=started, last_verified=started, current=True)
        stats = (_diff_stats(current.text, text)
                 if kind is VersionKind.CHANGE and current is not None else None)
        with self.db.atomic("IMMEDIATE"):
            moved = self._moved(doc, current, cap, started)
            if moved is not None:
                return moved
            version.snapshots = self._store_snapshots(doc, snapshots)
            Version.update(current=False).where(
                (Version.document == doc) & (Version.current == True)).execute()  # noqa: E712
            version.save(force_insert=True)
            change = None
            if stats is not None and current is not None:
                change = Change.create(
                    document=doc, from_version=current, to_version=version, detected_at=started,
                    stats=stats, **(analysis or {}))
            self._check_row(doc, started, outcome, code, reason, cap, version)
            touch_document(doc, started, outcome, code, reason)
        result = result_for(doc, outcome, code, reason, version)
        if change is not None:
            result.change = change.id
            result.severity, result.categories = change.severity, list(change.categories or [])
            result.summary, result.effective_date = change.summary, change.effective_date
        return result

    def declaration_switched(self, doc: Document, cap: Capture, reason: str,
                             detail: dict[str, Any]) -> None:
        """A document now read with a newer declaration whose stored page could not be re-read
        with it: a check row says so (no version, no alert, its health untouched); its next
        differing capture is the upgrade (ota/upgrade.py)."""
        with self.db.atomic("IMMEDIATE"):
            self._check_row(doc, utcnow(), Outcome.UPGRADE, Code.DECLARATION_UPGRADE, reason,
                            cap, None, detail)

    def upgrade(self, doc: Document, cap: Capture, current: Version, code: str,
                reason: str) -> CheckResult:
        """A technical re-reading of the current version's snapshot: never an alert."""
        text, started = "\n".join(cap.lines), utcnow()
        with self.db.atomic("IMMEDIATE"):
            if sha256(text) == current.sha256:
                # (other bytes than the snapshot may read otherwise with the new extractor)
                Version.update(extractor_version=extract.EXTRACTOR_VERSION, raw_sha256=None
                               ).where(Version.id == current.id).execute()
                version = current
            else:
                Version.update(current=False).where(Version.id == current.id).execute()
                version = Version.create(
                    document=doc, text=text, sha256=sha256(text), key_sha256=cap.key_sha256,
                    links=cap.links, snapshots=current.snapshots,
                    extractor_version=extract.EXTRACTOR_VERSION, kind=str(VersionKind.UPGRADE),
                    first_seen=started, last_verified=current.last_verified, current=True)
            self._check_row(doc, started, Outcome.UPGRADE, code, reason, cap, version)
        return result_for(doc, Outcome.UPGRADE, code, reason, version)


    # --- an imported history (Open Terms Archive) -------------------------------------------

    def import_versions(self, doc: Document, items: list[ImportedVersion],
                        skipped: dict[str, str] | None = None) -> list[Version | None]:
        """Archived versions of a document, judged by the caller, in one transaction.

        They are history, not news: their changes are stored already read and notified (no
        alert, no unread badge, no reminder), no check row is written (checks are the app's
        own polls) and the document's health is untouched. The newest of them becomes the
        current version only when no version the app holds is newer. A version whose archive
        path is already stored (another run imported it meanwhile) is not stored twice: None
        in its place. `skipped`: archive paths judged not to be the policy, remembered so a
        later run does not download them again."""
        with self.db.atomic("IMMEDIATE"):
            paths = [item.provenance["path"] for item in items]
            stored = {v.provenance["path"] for v in Version.select(Version.provenance).where(
                (Version.document == doc) & (Version.origin == Origin.OPEN_TERMS_ARCHIVE)
                & IMPORT_PATH.in_(paths))} if paths else set()
            out: list[Version | None] = []
            for item in items:
                if item.provenance["path"] in stored:
                    out.append(None)
                    continue
                previous = (out[item.previous] if isinstance(item.previous, int)
                            else item.previous)
                version = Version.create(
                    document=doc, text=item.text, sha256=sha256(item.text),
                    key_sha256=item.key_sha256, links=item.links, snapshots=[],
                    extractor_version=extract.EXTRACTOR_VERSION, kind=str(item.kind),
                    first_seen=item.first_seen, last_verified=item.first_seen, current=False,
                    origin=str(Origin.OPEN_TERMS_ARCHIVE), provenance=item.provenance)
                if item.kind is VersionKind.CHANGE and previous is not None:
                    Change.create(document=doc, from_version=previous, to_version=version,
                                  detected_at=item.first_seen, read=True, notified=True,
                                  stats=_diff_stats(previous.text, item.text),
                                  **(item.analysis or {}))
                out.append(version)
            self._newest_current(doc, [v for v in out if v is not None])
            if skipped:
                key = SKIPPED_KEY.format(document=doc.id)
                row = Setting.get_or_none(Setting.key == key)
                merged = {**(row.value if row is not None else {}), **skipped}
                Setting.insert(key=key, value=merged).on_conflict_replace().execute()
        return out

    def _newest_current(self, doc: Document, added: list[Version]) -> None:
        newest = max(added, key=lambda v: v.first_seen, default=None)
        if newest is None:
            return
        current = current_version(doc)
        if current is not None:
            # a live version was verified up to its last check; an archived one at its date
            seen = (current.last_verified if current.origin == Origin.LIVE
                    else current.first_seen)
            if newest.first_seen <= seen:
                return
            Version.update(current=False).where(Version.id == current.id).execute()
        Version.update(current=True).where(Version.id == newest.id).execute()
        newest.current = True


# The archive path of an imported version (its provenance's "path"): what makes an import
# idempotent across runs and releases.
IMPORT_PATH = peewee.fn.json_extract(Version.provenance, "$.path")
# Setting row remembering the archive paths of a document that were judged not the policy.
SKIPPED_KEY = "backfill.skipped.{document}"


@dataclass
class ImportedVersion:
    """One archived version, judged by the backfill (comparison and analysis done)."""

    text: str
    key_sha256: str
    links: list[dict[str, str]]
    kind: VersionKind
    first_seen: dt.datetime
    provenance: dict[str, Any]  # collection, release, path, fetched_at, verdict…
    # the version it was judged against: a stored one, or an earlier item of the same batch
    previous: Version | int | None = None
    analysis: dict[str, Any] | None = None  # for a change: the monitor's analysis fields


def _extend_run(doc: Document, outcome: Outcome, code: str, version: Version | None,
                detail: dict[str, Any] | None, started: dt.datetime, duration: float,
                cap: Capture) -> bool:
    """A verified (or degraded) check that repeats the latest check row (same outcome, code,
    version and detail) is counted into that row instead of adding one: two years of twice-a-
    day checks of an unchanged page are one row. Inside the caller's transaction."""
    last = (Check.select(Check.id, Check.outcome, Check.code, Check.version, Check.detail)
            .where(Check.document == doc.id).order_by(Check.id.desc()).first())
    if last is None or (last.outcome, last.code, last.version_id, last.detail) != (
            outcome, code, version.id if version else None, detail):
        return False
    (Check.update(repeats=Check.repeats + 1,
                  first_started_at=peewee.fn.COALESCE(Check.first_started_at, Check.started_at),
                  started_at=started, duration_s=duration, http_status=cap.http_status,
                  raw_sha256=cap.raw_sha256)
     .where(Check.id == last.id).execute())
    return True


def _diff_stats(old: str, new: str) -> dict[str, Any]:
    from watcher_app.diff import diff_texts

    result = diff_texts(old, new, budget_s=1.0)
    return {**asdict(result.stats), "degraded": result.degraded}
