"""Read-side queries shared by the command line and the app: history, diffs, verification."""

from __future__ import annotations

import hashlib
from typing import Any

import peewee

from watcher_app.corrections import Judgement, correction_json
from watcher_app.outcomes import Outcome, VersionKind
from watcher_app.store.content import ContentError
from watcher_app.store.models import Change, Check, Document, Platform, Snapshot, Version
from watcher_app.store.versions import numbers_of, version_by_number, version_number


class NotFound(LookupError):
    """A platform, document or version the user named does not exist."""


def find_document(platform_id: str, doc_type: str) -> Document:
    platform = Platform.get_or_none(id=platform_id)
    if platform is None:
        raise NotFound(f"no platform {platform_id!r} in this database")
    docs = list(Document.select().where(Document.platform == platform))
    for doc in docs:
        if doc.type.lower() == doc_type.lower():
            return doc
    known = ", ".join(d.type for d in docs) or "none"
    raise NotFound(f"{platform_id} has no document {doc_type!r} (it has: {known})")


def find_version(platform_id: str, doc_type: str, number: int | None = None) -> Version:
    """Version `number` (v1 is the oldest) of a document, or its current version."""
    doc = find_document(platform_id, doc_type)
    if number is not None:
        version = version_by_number(doc.id, number)
    else:
        version = (Version.select().where((Version.document == doc)
                                          & (Version.current == True))  # noqa: E712
                   .order_by(Version.id.desc()).first())
    if version is None:
        count = Version.select().where(Version.document == doc).count()
        what = (f"version {number} (it has v1–v{count})" if number is not None and count
                else "version yet")
        raise NotFound(f"{platform_id} / {doc.type} has no {what}")
    return version


def previous_version(version: Version) -> Version | None:
    """The version the user saw before this one (changes link them; else the one before in
    time: an imported history's rows come after the app's own in id order)."""
    change = Change.get_or_none(Change.to_version == version)
    if change is not None:
        return change.from_version
    before: Version | None = (
        Version.select().where((Version.document == version.document_id)
                               & ((Version.first_seen < version.first_seen)
                                  | ((Version.first_seen == version.first_seen)
                                     & (Version.id < version.id))))
        .order_by(Version.first_seen.desc(), Version.id.desc()).first())
    return before


def version_history(platform_id: str, doc_type: str) -> list[dict[str, Any]]:
    """Every version of a document in time order, with the app's verdict on it against the
    version before it (kind: first | change | noise; a technical upgrade counts as noise) and,
    for a change, its analysis. Imported versions say where they came from (origin)."""
    doc = find_document(platform_id, doc_type)
    changes = {c.to_version_id: c for c in Change.select().where(Change.document == doc)}
    rows = (Version.select(Version.id, Version.first_seen, Version.kind, Version.origin,
                           Version.sha256)
            .where(Version.document == doc).order_by(Version.first_seen, Version.id))
    out = []
    for number, v in enumerate(rows, start=1):
        change = changes.get(v.id)
        kind = v.kind if v.kind in (VersionKind.FIRST, VersionKind.CHANGE) else VersionKind.NOISE
        out.append({
            "version": number,
            "captured_at": v.first_seen.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "origin": v.origin,
            "kind": str(kind),
            "severity": change.severity if change else None,
            "categories": list(change.categories or []) if change else [],
            "summary": change.summary if change else None,
            "sha256": v.sha256,
            "change": change.id if change else None,
            **judgement_json(change),
        })
    return out


def judgement_json(change: Change | None) -> dict[str, Any]:
    """The app's reason and the user's correction of a change (null fields when none): the
    app's own `severity` and `categories` are never replaced by the user's."""
    if change is None:
        return {"severity_reason": None, "user_severity": None, "user_categories": None,
                "user_note": None, "corrected_at": None}
    return {"severity_reason": (change.analysis or {}).get("severity_reason"),
            **correction_json(change)}


def change_judgement(change_id: int) -> Judgement | None:
    change = Change.get_or_none(Change.id == change_id)
    return Judgement.of(change) if change is not None else None


def find_change(platform_id: str, doc_type: str, ref: str) -> Change:
    """A change of a document by its id ("12", as `history` and the app show it) or by the
    version it produced ("v5", the numbering of `history --versions`)."""
    doc = find_document(platform_id, doc_type)
    text = ref.strip().lower()
    by_version = text.startswith("v")
    digits = text[1:] if by_version else text
    if not digits.isdigit() or not 0 < int(digits) < 2**63:
        raise NotFound(f"--change {ref!r}: give a change id (e.g. 12) or the version it "
                       "produced (e.g. v5)")
    number = int(digits)
    if by_version:
        version = version_by_number(doc.id, number)
        change = (Change.get_or_none(Change.to_version == version.id)
                  if version is not None else None)
        if change is None:
            raise NotFound(f"{platform_id} / {doc.type}: no change produced version v{number} "
                           "(see `history --versions`)")
        return change
    change = Change.get_or_none(Change.id == number)
    if change is None or change.document_id != doc.id:
        raise NotFound(f"{platform_id} / {doc.type} has no change {number} "
                       "(see `history --document` for its changes)")
    return change


def history(platform_id: str, doc_type: str | None = None) -> list[dict[str, Any]]:
    """Every check of the platform's documents, newest first, with the changes they found."""
    if Platform.get_or_none(id=platform_id) is None:
        raise NotFound(f"no platform {platform_id!r} in this database")
    docs = list(Document.select().where(Document.platform == platform_id))
    if doc_type:
        docs = [find_document(platform_id, doc_type)]
    # keyed so that a check without a version (nothing stored) simply finds no change
    changes: dict[int | None, Change] = {
        c.to_version_id: c for c in Change.select().where(Change.document.in_(docs))}
    numbers: dict[int, int] = {}
    for doc in docs:
        numbers.update(numbers_of(doc.id))
    rows = []
    checks = (Check.select(Check, Document).join(Document)
              .where(Check.document.in_(docs)).order_by(Check.started_at.desc(), Check.id.desc()))
    for check in checks:
        change = changes.get(check.version_id) if check.outcome == Outcome.CHANGED else None
        rows.append({
            "at": check.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            "document": check.document.type,
            "outcome": check.outcome,
            "code": check.code,
            "version": numbers.get(check.version_id) if check.version_id else None,
            "reason": check.reason,
            "http_status": check.http_status,
            # a run of identical verified checks is one row: how many, and since when
            "repeats": check.repeats,
            "first_at": (check.first_started_at.strftime("%Y-%m-%d %H:%M:%S")
                         if check.first_started_at else None),
            "change": None if change is None else {
                "id": change.id, "from": numbers.get(change.from_version_id),
                "to": numbers.get(change.to_version_id),
                "severity": change.severity, "categories": change.categories,
                "summary": change.summary, "stats": change.stats,
                **judgement_json(change),
            },
        })
    return rows


def diff_report(platform_id: str, doc_type: str, from_number: int | None,
                to_number: int | None, fmt: str, *, color: bool = False) -> str:
    from watcher_app.diff import diff_texts
    from watcher_app.diff_render import render_html, render_json, render_text

    new = find_version(platform_id, doc_type, to_number)
    old = (find_version(platform_id, doc_type, from_number) if from_number
           else previous_version(new))
    n_new = version_number(new)
    if old is None:
        raise NotFound(f"{platform_id} / {doc_type}: version {n_new} is the first; "
                       "there is nothing to compare it with (use --from)")
    n_old = version_number(old)
    from watcher_app.controls import strip_controls

    # Versions stored before extraction dropped control characters may still hold some; a
    # coloured diff goes to the terminal as it is, so they are taken out here.
    result = diff_texts(strip_controls(old.text), strip_controls(new.text))
    if fmt == "json":
        import json

        payload = {"from": n_old, "to": n_new, **render_json(result)}
        return json.dumps(payload, ensure_ascii=False, indent=1)
    if fmt == "html":
        return render_html(result, old_title=f"v{n_old} · {old.first_seen:%Y-%m-%d %H:%M}",
                           new_title=f"v{n_new} · {new.first_seen:%Y-%m-%d %H:%M}")
    header = (f"{strip_controls(platform_id)} / {new.document.type}: v{n_old} "
              f"({old.first_seen:%Y-%m-%d}) → v{n_new} ({new.first_seen:%Y-%m-%d})\n")
    return header + render_text(result, color=color)


def verify(db: peewee.Database) -> tuple[list[str], dict[str, int]]:
    """Re-hash every version text and raw snapshot against the hash stored with it."""
    problems: list[str] = []
    counted = {"versions": 0, "snapshots": 0}
    for version in Version.select().iterator():
        counted["versions"] += 1
        try:
            text = version.text
        except ContentError as exc:
            problems.append(f"version {version.id}: stored text is unreadable ({exc})")
            continue
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != version.sha256:
            problems.append(f"version {version.id}: text does not match its SHA-256")
    for snap in Snapshot.select().iterator():
        counted["snapshots"] += 1
        try:
            raw = snap.body
        except ContentError as exc:
            problems.append(f"snapshot {snap.id}: compressed bytes are corrupt ({exc})")
            continue
        if hashlib.sha256(raw).hexdigest() != snap.sha256:
            problems.append(f"snapshot {snap.id}: bytes do not match their SHA-256")
    # peewee's stubs leave Database.execute_sql unannotated (it returns the DB-API cursor)
    rows: list[tuple[Any, ...]] = db.execute_sql(  # type: ignore[no-untyped-call]
        "PRAGMA integrity_check").fetchall()
    if rows != [("ok",)]:
        problems.append(f"database integrity check: {rows[:3]}")
    orphans = (Change.select().join(Version, on=(Change.to_version == Version.id))
               .where(Version.document != Change.document).count())
    if orphans:
        problems.append(f"{orphans} change(s) point at a version of another document")
    return problems, counted
