"""Small, paged database reads for the views (no Qt here).

The UI's read layer: widget modules never import `store.models` (tests/ui/test_layering.py
checks it); they get the small dataclasses and plain values below. Writes go through
`ui/commands.py`.

Views never load whole tables: every list is read a page at a time (LIMIT/OFFSET on an indexed
order), and version texts are read only by the diff worker, off the GUI thread. The background
checks write through their own connection (peewee keeps one per thread; SQLite is in WAL mode),
so these reads never wait for a running check.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import peewee

from watcher_app.corrections import Judgement
from watcher_app.offline import looks_offline
from watcher_app.outcomes import Code, Origin, Outcome, VersionKind
from watcher_app.store.models import (
    Alert,
    Change,
    Check,
    Document,
    Platform,
    Setting,
    Snapshot,
    Version,
)
from watcher_app.store.versions import numbers_of

if TYPE_CHECKING:
    from watcher_app.capture import Capture
    from watcher_app.fetch import Fetcher

PAGE = 100
HEALTH_RANK = {"failing": 4, "blocked": 3, "degraded": 2, "ok": 1, "pending": 0}


def health_of(last_outcome: str | None, failures: int = 0) -> str:
    """ok / degraded / blocked / failing / pending, from the document's last check
    (degraded: read with a fallback selector, see drift.py)."""
    if last_outcome is None:
        return "pending"
    if last_outcome == Outcome.BLOCKED:
        return "blocked"
    if last_outcome == Outcome.ERROR or failures > 0:
        return "failing"
    return "degraded" if last_outcome == Outcome.DEGRADED else "ok"


@dataclass
class DocStatus:
    id: int
    platform_id: str
    type: str
    url: str
    last_check_at: dt.datetime | None
    last_outcome: str | None
    last_reason: str | None
    failures: int
    last_verified: dt.datetime | None
    unread: int = 0
    last_code: str | None = None  # outcomes.Code or a fetch error code (offline.py reads it)

    @property
    def health(self) -> str:
        return health_of(self.last_outcome, self.failures)


@dataclass
class PlatformStatus:
    id: str
    name: str
    origin: str
    documents: list[DocStatus] = field(default_factory=list)

    @property
    def unread(self) -> int:
        return sum(d.unread for d in self.documents)

    @property
    def health(self) -> str:
        ranks = [d.health for d in self.documents] or ["pending"]
        return max(ranks, key=HEALTH_RANK.__getitem__)

    @property
    def last_verified(self) -> dt.datetime | None:
        times = [d.last_verified for d in self.documents if d.last_verified]
        return min(times) if times else None  # the stalest document is what matters


def sidebar_status() -> list[PlatformStatus]:
    """Watched platforms with their active documents: health, unread changes, last verified.
    Three aggregate queries whatever the history size."""
    # (.tuples() rows: peewee's stubs type them as models, hence the casts)
    unread: dict[int, int] = dict(cast(Iterable[tuple[int, int]], Change.select(
        Change.document, peewee.fn.COUNT(Change.id))
        .where(Change.read == False).group_by(Change.document).tuples()))  # noqa: E712
    verified: dict[int, dt.datetime] = dict(cast(Iterable[tuple[int, dt.datetime]], Version.select(
        Version.document, peewee.fn.MAX(Version.last_verified))
        .where(Version.current == True).group_by(Version.document).tuples()))  # noqa: E712
    out: dict[str, PlatformStatus] = {}
    docs = (Document.select(Document, Platform).join(Platform)
            .where((Platform.watched == True) & (Document.active == True))  # noqa: E712
            .order_by(Platform.name, Document.type))
    for doc in docs:
        plat = out.setdefault(doc.platform_id, PlatformStatus(
            doc.platform_id, doc.platform.name, doc.platform.origin))
        url = (doc.sources or [{}])[0].get("url", "")
        plat.documents.append(DocStatus(
            doc.id, doc.platform_id, doc.type, url, doc.last_check_at, doc.last_outcome,
            doc.last_reason, doc.consecutive_failures, verified.get(doc.id),
            unread.get(doc.id, 0), doc.last_code))
    return list(out.values())


def offline(platforms: list[PlatformStatus]) -> bool:
    """Whether every document checked failed at the connection level (see offline.py)."""
    return looks_offline((d.last_code if d.last_check_at else None, d.last_reason)
                         for p in platforms for d in p.documents)


# --- the activity feed -------------------------------------------------------------------


@dataclass
class FeedFilter:
    severity: str | None = None  # exact: high / medium / low (the user's rating when given)
    platform_id: str | None = None
    doc_type: str | None = None
    unread_only: bool = False


@dataclass
class FeedRow:
    change_id: int
    document_id: int
    detected_at: dt.datetime
    platform: str
    doc_type: str
    severity: str | None
    categories: list[str]
    summary: str | None
    stats: dict[str, Any]
    effective_date: str | None
    read: bool
    judgement: Judgement | None = None  # severity and categories above are its effective ones


def effective_severity() -> peewee.Function:
    """The severity shown and filtered by: the user's rating when they gave one."""
    return peewee.fn.COALESCE(Change.user_severity, Change.severity)


def feed_query(flt: FeedFilter) -> peewee.ModelSelect[Change]:
    query = Change.select(Change, Document, Platform).join(Document).join(Platform)
    if flt.severity:
        query = query.where(effective_severity() == flt.severity)
    if flt.platform_id:
        query = query.where(Platform.id == flt.platform_id)
    if flt.doc_type:
        query = query.where(Document.type == flt.doc_type)
    if flt.unread_only:
        query = query.where(Change.read == False)  # noqa: E712
    return query


def feed_page(flt: FeedFilter, offset: int, limit: int = PAGE) -> list[FeedRow]:
    query = (feed_query(flt).order_by(Change.detected_at.desc(), Change.id.desc())
             .offset(offset).limit(limit))
    rows = []
    for c in cast(Iterable[Change], query):  # (peewee's stubs type the rows as Model)
        judged = Judgement.of(c)
        rows.append(FeedRow(c.id, c.document_id, c.detected_at, c.document.platform.name,
                            c.document.type, judged.severity, list(judged.categories),
                            c.summary, dict(c.stats or {}), c.effective_date, bool(c.read),
                            judged))
    return rows


def feed_choices() -> tuple[list[tuple[str, str]], list[str]]:
    """(platform id, name) pairs and document types that have changes, for the filters."""
    platforms = list(cast(Iterable[tuple[str, str]], Platform.select(Platform.id, Platform.name)
                          .where(Platform.id.in_(Document.select(Document.platform)))
                          .order_by(Platform.name).tuples()))
    types = [t for (t,) in cast(Iterable[tuple[str]], Document.select(Document.type).distinct()
                                 .order_by(Document.type).tuples())]
    return platforms, types


@dataclass
class ChangeInfo:
    """One change as the analysis panel and the correction dialog show it."""

    id: int
    document_id: int
    from_version_id: int
    to_version_id: int
    detected_at: dt.datetime
    summary: str | None
    effective_date: str | None
    stats: dict[str, Any]
    analysis: dict[str, Any]
    judgement: Judgement
    label: str = ""  # "Platform — Document"


def _change_info(change: Change | None) -> ChangeInfo | None:
    if change is None:
        return None
    return ChangeInfo(change.id, change.document_id, change.from_version_id,
                      change.to_version_id, change.detected_at, change.summary,
                      change.effective_date, dict(change.stats or {}),
                      dict(change.analysis or {}), Judgement.of(change),
                      f"{change.document.platform.name} — {change.document.type}")


def _changes() -> peewee.ModelSelect[Change]:
    return Change.select(Change, Document, Platform).join(Document).join(Platform)


def change_info(change_id: int) -> ChangeInfo | None:
    return _change_info(_changes().where(Change.id == change_id).first())


def change_between(old_version_id: int, new_version_id: int) -> ChangeInfo | None:
    """The recorded change from one version to the next, if the two are consecutive."""
    return _change_info(_changes().where((Change.from_version == old_version_id)
                                         & (Change.to_version == new_version_id)).first())


# --- timeline, checks, alerts ----------------------------------------------------------------


@dataclass
class TimelineEntry:
    version_id: int
    first_seen: dt.datetime
    last_verified: dt.datetime
    kind: str  # outcomes.VersionKind
    current: bool
    size: int
    number: int = 0  # 1 = the first version of the document
    change_id: int | None = None
    severity: str | None = None
    summary: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    read: bool = True
    origin: str = Origin.LIVE  # outcomes.Origin: the app's capture or an imported one
    provenance: dict[str, Any] | None = None  # where an imported version came from
    folded: int = 0  # imported noise versions after this one, folded away
    note: str | None = None  # the first live capture against the archive's latest record
    judgement: Judgement | None = None  # a change's severity (above: the effective one), why

    @property
    def alerted(self) -> bool:
        return VersionKind(self.kind).is_real

    @property
    def imported(self) -> bool:
        return self.origin != Origin.LIVE


def timeline_page(document_id: int, offset: int, limit: int = PAGE, *,
                  fold: bool = True) -> list[TimelineEntry]:
    """Versions newest first with the change that produced each (texts are not loaded, only
    their length). `fold`: an imported history's noise versions (hundreds, for some
    documents) are left out, each counted on the version before it."""
    hidden = ((Version.origin != Origin.LIVE) & (Version.kind == VersionKind.NOISE)
              & (Version.current == False))  # noqa: E712 - the current one always shows
    query = (Version.select(Version.id, Version.first_seen, Version.last_verified,
                            Version.kind, Version.current, Version.origin, Version.provenance,
                            Version.size)
             .where(Version.document == document_id))
    versions = list((query.where(~hidden) if fold else query)
                    .order_by(Version.first_seen.desc(), Version.id.desc())
                    .offset(offset).limit(limit))
    changes = {c.to_version_id: c for c in Change.select().where(
        Change.to_version.in_([v.id for v in versions]))}
    notes = {c.version_id: c.reason for c in Check.select(Check.version, Check.reason).where(
        Check.version.in_([v.id for v in versions])
        & Check.code.in_([Code.ARCHIVE_MATCH, Code.ARCHIVE_DIFFERS]))}
    numbers = numbers_of(document_id)
    folded: list[dt.datetime] = []
    if fold and versions:
        folded = sorted(v.first_seen for v in Version.select(Version.first_seen).where(
            (Version.document == document_id) & hidden
            & (Version.first_seen > versions[-1].first_seen)))
    out = []
    newer: dt.datetime | None = None  # the entry above this one (on the page before, at first)
    if fold and offset > 0:
        above = (Version.select(Version.first_seen)
                 .where((Version.document == document_id) & ~hidden)
                 .order_by(Version.first_seen.desc(), Version.id.desc())
                 .offset(offset - 1).limit(1).first())
        newer = above.first_seen if above is not None else None
    for v in versions:
        entry = TimelineEntry(v.id, v.first_seen, v.last_verified, v.kind, bool(v.current),
                              int(v.size or 0),
                              numbers.get(v.id, 0), origin=v.origin, provenance=v.provenance,
                              note=notes.get(v.id))
        if fold:
            entry.folded = (bisect.bisect_left(folded, newer) if newer else len(folded)) \
                - bisect.bisect_right(folded, v.first_seen)
        newer = v.first_seen
        change = changes.get(v.id)
        if change is not None:
            entry.judgement = Judgement.of(change)
            entry.change_id, entry.severity, entry.summary = change.id, \
                entry.judgement.severity, change.summary
            entry.stats, entry.read = dict(change.stats or {}), bool(change.read)
        out.append(entry)
    return out


def provenance_text(entry: TimelineEntry) -> str:
    """Where a version came from, in plain words (shown as plain text: never markup)."""
    if not entry.imported:
        return "Captured by this app."
    prov = entry.provenance or {}
    lines = ["Imported from Open Terms Archive"]
    if prov.get("collection"):
        lines.append(f"Collection: {prov['collection']}")
    if prov.get("release") or prov.get("dataset"):
        lines.append(f"Release: {prov.get('release') or prov.get('dataset')}")
    if prov.get("fetched_at"):
        lines.append(f"Recorded by OTA: {prov['fetched_at']}")
    if prov.get("path"):
        lines.append(f"Archive file: {prov['path']}")
    verdict = prov.get("verdict") or {}
    if verdict.get("reason"):
        lines.append(f"This app's verdict: {verdict['reason']}")
    return "\n".join(lines)


@dataclass(frozen=True)
class CheckRow:
    """One row of a document's check history."""

    id: int
    started_at: dt.datetime
    outcome: str  # outcomes.Outcome
    code: str  # outcomes.Code, or a fetch error code
    reason: str  # for people only: never parsed
    http_status: int | None
    version_id: int | None


def checks_page(document_id: int, offset: int, limit: int = PAGE) -> list[CheckRow]:
    rows = (Check.select(Check.id, Check.started_at, Check.outcome, Check.code, Check.reason,
                         Check.http_status, Check.version)
            .where(Check.document == document_id)
            .order_by(Check.started_at.desc(), Check.id.desc()).offset(offset).limit(limit))
    return [CheckRow(c.id, c.started_at, c.outcome, c.code or "", c.reason or "",
                     c.http_status, c.version_id) for c in cast(Iterable[Check], rows)]


CHECK_LABELS: dict[str, tuple[str, bool]] = {
    Outcome.FIRST: ("First capture", False),
    Outcome.VERIFIED: ("Verified", False),
    Outcome.NOISE: ("Noise only (no alert)", True),
    Outcome.FLAP: ("Flap — back to an earlier text (no alert)", True),
    Outcome.UNCONFIRMED: ("Unconfirmed change (no alert)", True),
    Outcome.CHANGED: ("Changed", False),
    Outcome.DEGRADED: ("Read with a fallback selector", False),
    Outcome.BLOCKED: ("Blocked", False),
    Outcome.ERROR: ("Error", False),
    Outcome.UPGRADE: ("Technical upgrade (no alert)", True),
}


def check_label(check: CheckRow | Check) -> tuple[str, bool]:
    """What a check means to a reader, and whether it is a "no alert" (greyed) outcome."""
    if check.code == Code.DECLARATION_UPGRADE:
        return "Newer declaration (no alert)", True
    return CHECK_LABELS.get(check.outcome, (str(check.outcome).title(), False))


@dataclass(frozen=True)
class AlertRow:
    """One row of the notification log."""

    id: int
    created_at: dt.datetime
    kind: str  # change | failure | reminder | digest
    title: str
    body: str
    channel: str  # native | tray | banner | none
    delivered: bool
    detail: str
    change_id: int | None


def alerts_page(offset: int, limit: int = PAGE) -> list[AlertRow]:
    rows = (Alert.select().order_by(Alert.created_at.desc(), Alert.id.desc())
            .offset(offset).limit(limit))
    return [AlertRow(a.id, a.created_at, a.kind, a.title, a.body or "", a.channel,
                     bool(a.delivered), a.detail or "", a.change_id)
            for a in cast(Iterable[Alert], rows)]


def version_choices(document_id: int) -> list[tuple[int, dt.datetime, str]]:
    """(id, first seen, kind) of every version, oldest first: the compare combo boxes. The
    kind of an imported version says so, so the two origins stay apart in the diff."""
    rows = (Version.select(Version.id, Version.first_seen, Version.kind, Version.origin)
            .where(Version.document == document_id).order_by(Version.first_seen, Version.id))
    return [(v.id, v.first_seen,
             v.kind if v.origin == Origin.LIVE else f"{v.kind} \u00b7 {ARCHIVE_LABEL}")
            for v in rows]


ARCHIVE_LABEL = "Open Terms Archive"


def document_label(document_id: int) -> str:
    doc = Document.select(Document, Platform).join(Platform).where(
        Document.id == document_id).get()
    return f"{doc.platform.name} — {doc.type}"


# --- single records, as the widgets show them ----------------------------------------------


def any_watched() -> bool:
    """Whether any platform is watched (none: the first run, which opens the picker)."""
    return bool(Platform.select().where(Platform.watched == True).exists())  # noqa: E712


def watched_ids() -> set[str]:
    rows = Platform.select(Platform.id).where(Platform.watched == True).tuples()  # noqa: E712
    return {pid for (pid,) in cast(Iterable[tuple[str]], rows)}


def platform_exists(platform_id: str) -> bool:
    return bool(Platform.select().where(Platform.id == platform_id).exists())


def platform_ids() -> list[str]:
    """Every platform in the database, by name (the evidence export's choice)."""
    rows = Platform.select(Platform.id).order_by(Platform.name).tuples()
    return [pid for (pid,) in cast(Iterable[tuple[str]], rows)]


@dataclass(frozen=True)
class StoredPlatform:
    id: str
    origin: str  # outcomes.Origin-like: bundled | imported | custom | ota:<collection>
    declaration: dict[str, Any] | None


def stored_platforms(*, except_origin: str = "bundled") -> list[StoredPlatform]:
    """The platforms in the database with their stored declarations (the picker lists those
    the catalogue does not have)."""
    rows = Platform.select(Platform.id, Platform.origin, Platform.declaration).where(
        Platform.origin != except_origin)
    return [StoredPlatform(p.id, p.origin, p.declaration) for p in cast(Iterable[Platform], rows)]


@dataclass(frozen=True)
class DocumentInfo:
    """One document with its platform: the timeline's header, the interval dialog, exports."""

    id: int
    platform_id: str
    platform_name: str
    type: str
    url: str
    last_check_at: dt.datetime | None
    last_outcome: str | None
    last_reason: str | None
    failures: int
    own_interval_s: int | None  # the document's own check interval, if it has one
    interval_s: int  # the interval it is checked at (its own, else the setting's)

    @property
    def health(self) -> str:
        return health_of(self.last_outcome, self.failures)

    @property
    def label(self) -> str:
        return f"{self.platform_name} \u2014 {self.type}"


def document_info(document_id: int) -> DocumentInfo:
    """Raises LookupError for a document that is not in the database."""
    from watcher_app.settings import load_settings

    doc = Document.select(Document, Platform).join(Platform).where(
        Document.id == document_id).first()
    if doc is None:
        raise LookupError(f"no document {document_id}")
    return DocumentInfo(doc.id, doc.platform_id, doc.platform.name, doc.type,
                        (doc.sources or [{}])[0].get("url", ""), doc.last_check_at,
                        doc.last_outcome, doc.last_reason, int(doc.consecutive_failures or 0),
                        doc.check_interval_s, load_settings().interval_for(doc))


def version_text(version_id: int) -> str:
    """A version's whole text (read by the diff worker, off the GUI thread)."""
    return str(Version.get_by_id(version_id).text)


# --- evidence --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotInfo:
    """A raw snapshot's record, without its bytes."""

    id: int
    url: str
    fetched_at: dt.datetime
    http_status: int | None
    sha256: str
    size: int
    content_type: str | None
    source_index: int


@dataclass(frozen=True)
class VersionInfo:
    id: int
    kind: str  # outcomes.VersionKind
    current: bool
    sha256: str
    extractor_version: int
    first_seen: dt.datetime
    last_verified: dt.datetime


@dataclass(frozen=True)
class Evidence:
    platform: str
    document: str
    version: VersionInfo
    snapshots: tuple[SnapshotInfo, ...]
    url: str
    citation: str  # the same stable citation as exports and `governance-watcher cite`
    number: int = 1  # this version's rank in its document's history (1 = first)
    total: int = 1


def _snapshot_info(s: Snapshot) -> SnapshotInfo:
    return SnapshotInfo(s.id, s.url, s.fetched_at, s.http_status, s.sha256, int(s.size or 0),
                        s.content_type, int(s.source_index or 0))


def load_evidence(version_id: int) -> Evidence:
    from watcher_app.export import citation

    version = Version.get_by_id(version_id)
    doc = Document.select(Document, Platform).join(Platform).where(
        Document.id == version.document_id).get()
    # The raw bytes stay in the database: only the columns the panel shows are read.
    snaps = list(Snapshot.select(Snapshot.id, Snapshot.url, Snapshot.fetched_at,
                                 Snapshot.http_status, Snapshot.sha256, Snapshot.size,
                                 Snapshot.content_type, Snapshot.source_index)
                 .where(Snapshot.id.in_(version.snapshots or []))
                 .order_by(Snapshot.source_index))
    url = snaps[0].url if snaps else (doc.sources or [{}])[0].get("url", "")
    siblings = Version.select().where(Version.document == doc)
    number = siblings.where(Version.id <= version.id).count()
    info = VersionInfo(version.id, version.kind, bool(version.current), version.sha256,
                       version.extractor_version, version.first_seen, version.last_verified)
    return Evidence(doc.platform.name, doc.type, info,
                    tuple(_snapshot_info(s) for s in cast(Iterable[Snapshot], snaps)), url,
                    citation(version), number, siblings.count())


def raw_snapshot(snapshot_id: int) -> tuple[SnapshotInfo, bytes]:
    """A snapshot's record and its raw bytes (read off the GUI thread: they can be large)."""
    snap = Snapshot.get_by_id(snapshot_id)
    return _snapshot_info(snap), bytes(snap.body)


# --- exports -----------------------------------------------------------------------------------


def change_report_html(change_id: int) -> str:
    from watcher_app.export import change_report_html as report

    return report(Change.get_by_id(change_id))


def timeline_export(document_id: int, fmt: str) -> str:
    """A document's check history as "csv" or "json" text."""
    import json

    from watcher_app.export import timeline_csv, timeline_rows

    doc = Document.get_by_id(document_id)
    if fmt == "json":
        return json.dumps(timeline_rows(doc), ensure_ascii=False, indent=1)
    return timeline_csv(doc)


def ui_setting(key: str) -> Any:
    """A setting row the UI keeps for itself (the window's layout); None when absent."""
    row = Setting.get_or_none(Setting.key == key)
    return row.value if row is not None else None


def trial_capture(fetcher: Fetcher, source: dict[str, Any]) -> Capture:
    """Capture one page the way a check would, without storing anything (the custom-platform
    form's Test): an unsaved document that has no snapshots."""
    from watcher_app.capture import capture_document

    return capture_document(fetcher, Document(sources=[source]))
