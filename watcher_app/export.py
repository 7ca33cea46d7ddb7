"""Evidence a user can hand to someone else: citable, verifiable, self-contained.

`export_platform` writes a ZIP with every version's text, its raw snapshots, a manifest, a
`SHA256SUMS` file that `sha256sum -c` verifies, a timeline (CSV and JSON) and one human-readable
`report.html` per change. `citation` is the stable text behind "Copy citation".
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from watcher_app import APP_NAME, __version__
from watcher_app.corrections import correction_json, explain
from watcher_app.outcomes import Outcome
from watcher_app.redact import redact_url
from watcher_app.reports import NotFound, find_document
from watcher_app.store.models import Change, Check, Document, Platform, Snapshot, Version

EXTENSIONS = {"application/pdf": "pdf", "text/plain": "txt"}
MANIFEST_LIMIT = 16 * 1024 * 1024  # reading an existing ZIP's manifest to recognise it


class ExportRefused(ValueError):
    """An output path an export must not write to; the message is for the user."""


def data_folder() -> Path | None:
    """The folder of the open database (its data folder), None when none is open."""
    from watcher_app.store.db import bound_path

    path = bound_path()
    return path.parent if path is not None else None


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def is_our_export(path: Path) -> bool:
    """A ZIP this app wrote: a manifest.json naming the app, and SHA256SUMS."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            info = archive.getinfo("manifest.json") if "manifest.json" in names else None
            if info is None or "SHA256SUMS" not in names or info.file_size > MANIFEST_LIMIT:
                return False
            manifest = json.loads(archive.read(info))
    except (OSError, zipfile.BadZipFile, ValueError, KeyError, RuntimeError):
        return False
    return isinstance(manifest, dict) and manifest.get("app") == APP_NAME


def check_output(out: Path, *, force: bool = False,
                 ours: Callable[[Path], bool] | None = is_our_export) -> Path:
    """Refuse an output path inside the data folder (the database, its backups), a folder,
    or an existing file that is not one of our exports (``ours``), unless ``force``. None for
    ``ours``: any existing file needs ``force`` (the app's save dialogs ask first)."""
    out = Path(out).expanduser()
    folder = data_folder()
    if folder is not None and _inside(out, folder):
        raise ExportRefused(f"{out} is inside the data folder {folder}, which holds the "
                            "database and its backups: choose a file elsewhere.")
    if out.is_dir():
        raise ExportRefused(f"{out} is a folder: give the name of the file to write.")
    if out.exists() and not force and (ours is None or not ours(out)):
        raise ExportRefused(f"{out} exists and is not an export of {APP_NAME}: choose another "
                            "name, or add --force to overwrite it.")
    return out


def write_private(out: Path, fill: Callable[[IO[bytes]], object]) -> Path:
    """Write a file readable by its owner only, aside and renamed into place: an interrupted
    write never leaves half a file under the name, and nothing is ever written through a link
    at ``out`` (the rename replaces the link itself)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:  # mkstemp: mode 0600
            fill(fh)
        os.replace(partial, out)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "document"


def _stamp(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def source_urls(doc: Document) -> list[str]:
    """The document's URLs as written out for people (secret-looking query values redacted)."""
    return [redact_url(s["url"]) for s in doc.sources]


def citation(version: Version) -> str:
    """A stable plain-text citation of one version, fit to paste into a memo or a filing: the
    platform, the document, the version date, the URL, the SHA-256 of the text and of each raw
    snapshot, when it was captured and last verified (UTC), the app and extractor version."""
    doc: Document = version.document
    snaps = list(Snapshot.select(Snapshot.url, Snapshot.fetched_at, Snapshot.http_status,
                                 Snapshot.sha256, Snapshot.source_index)
                 .where(Snapshot.id.in_(version.snapshots or []))
                 .order_by(Snapshot.source_index))
    lines = [f"{doc.platform.name}, \u201c{doc.type}\u201d, version of "
             f"{version.first_seen:%Y-%m-%d %H:%M} UTC."]
    urls = [redact_url(s.url) for s in snaps] or source_urls(doc)
    lines += [f"URL: {u}" for u in dict.fromkeys(urls)]
    lines.append(f"SHA-256 of the text: {version.sha256}")
    lines += [f"SHA-256 of the raw snapshot: {s.sha256}" for s in snaps]
    captured = snaps[0].fetched_at if snaps else version.first_seen
    status = f" (HTTP {snaps[0].http_status})" if snaps else ""
    lines.append(f"Captured at: {captured:%Y-%m-%d %H:%M:%S} UTC{status}; last verified "
                 f"{version.last_verified:%Y-%m-%d %H:%M:%S} UTC.")
    lines.append(f"Recorded with {APP_NAME} {__version__} (extractor version "
                 f"{version.extractor_version}).")
    return "\n".join(lines)


def timeline_rows(doc: Document) -> list[dict[str, Any]]:
    """One row per check of the document, oldest first, with the change it found."""
    # keyed so that a check without a version (nothing stored) simply finds no change
    changes: dict[int | None, Change] = {
        c.to_version_id: c for c in Change.select().where(Change.document == doc)}
    rows = []
    for check in Check.select().where(Check.document == doc).order_by(Check.started_at, Check.id):
        change = changes.get(check.version_id) if check.outcome == Outcome.CHANGED else None
        rows.append({
            "checked_at": _stamp(check.started_at), "outcome": check.outcome,
            "reason": check.reason, "http_status": check.http_status,
            "version": check.version_id, "raw_sha256": check.raw_sha256 or "",
            "change": change.id if change else "", "severity": change.severity if change else "",
            "categories": ",".join(change.categories or []) if change else "",
            "summary": (change.summary or "") if change else "",
            **_correction_columns(change),
        })
    return rows


# the app's reading is in severity / categories / severity_reason; the user's beside it
CORRECTION_FIELDS = ["severity_reason", "user_severity", "user_categories", "user_note",
                     "corrected_at"]


def _correction_columns(change: Change | None) -> dict[str, Any]:
    if change is None:
        return dict.fromkeys(CORRECTION_FIELDS, "")
    fix = correction_json(change)
    return {"severity_reason": (change.analysis or {}).get("severity_reason") or "",
            "user_severity": fix["user_severity"] or "",
            "user_categories": ",".join(fix["user_categories"] or []),
            "user_note": fix["user_note"] or "", "corrected_at": fix["corrected_at"] or ""}


def timeline_csv(doc: Document) -> str:
    rows = timeline_rows(doc)
    out = io.StringIO()
    fields = ["checked_at", "outcome", "reason", "http_status", "version", "raw_sha256",
              "change", "severity", "categories", "summary", *CORRECTION_FIELDS]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def change_report_html(change: Change) -> str:
    """Summary, severity, categories with their evidence, and the side-by-side diff."""
    from watcher_app.diff import diff_texts
    from watcher_app.diff_render import render_html

    old, new = change.from_version, change.to_version
    doc = change.document
    page = render_html(diff_texts(old.text, new.text),
                       old_title=f"v{old.id} · {old.first_seen:%Y-%m-%d %H:%M} UTC",
                       new_title=f"v{new.id} · {new.first_seen:%Y-%m-%d %H:%M} UTC")
    analysis = change.analysis or {}
    hits = analysis.get("category_hits") or []
    evidence = "".join(
        f"<li><b>{html.escape(h.get('name', ''))}</b>: "
        + "; ".join(html.escape(e) for e in h.get("evidence", [])[:4]) + "</li>" for h in hits
        if h.get("name") in (change.categories or []))
    cats = ", ".join(change.categories or []) or "—"
    reason = explain(analysis)  # meaning first, then the clause, as the app shows it
    header = (
        f"<section class='gw-report'><h1>{html.escape(doc.platform.name)} — "
        f"{html.escape(doc.type)} changed</h1>"
        + _correction_html(change)
        + "<h2>The app's reading</h2>"
        f"<p><b>Severity (the app's):</b> {html.escape((change.severity or 'unrated').title())}"
        + (f" — {html.escape(reason)}" if reason else "") + "</p>"
        + _findings_html(analysis)
        + f"<p><b>Summary:</b> {html.escape(change.summary or '')}</p>"
        f"<p><b>Categories (the app's):</b> {html.escape(cats)}</p>"
        + (f"<ul>{evidence}</ul>" if evidence else "")
        + f"<p><b>Effective date:</b> {html.escape(change.effective_date or 'not stated')}</p>"
        f"<p><b>Detected:</b> {_stamp(change.detected_at)} · <b>Source:</b> "
        f"{html.escape(' ; '.join(source_urls(doc)))}</p>"
        f"<p><b>Old</b> v{old.id} SHA-256 {old.sha256}<br><b>New</b> v{new.id} SHA-256 "
        f"{new.sha256}</p><p><small>{html.escape(citation(new))}</small></p></section>\n"
    )
    return page.replace("<body>\n", "<body>\n" + header, 1)


def _correction_html(change: Change) -> str:
    """The user's correction, labelled as theirs, above the app's reading it leaves intact."""
    if change.corrected_at is None:
        return ""
    e = html.escape
    rows = []
    if change.user_severity:
        rows.append(f"<p><b>Severity (yours):</b> {e(change.user_severity.title())} "
                    f"<small>(the app said {e((change.severity or 'unrated').title())})</small>"
                    "</p>")
    if change.user_categories is not None:
        rows.append(f"<p><b>Categories (yours):</b> {e(', '.join(change.user_categories))} "
                    f"<small>(the app said {e(', '.join(change.categories or []) or '—')})"
                    "</small></p>")
    if change.user_note:
        rows.append("<p><b>Your note:</b> " + e(change.user_note).replace("\n", "<br>")
                    + "</p>")
    return (f"<h2>Your correction</h2><p><small>Recorded {_stamp(change.corrected_at)} by the "
            f"user of this copy of {APP_NAME}; the app's own reading below is unchanged."
            f"</small></p>" + "".join(rows))


def _findings_html(analysis: dict[str, Any]) -> str:
    """What each changed clause does for users, quoted, as the analysis found it."""
    items = []
    for f in analysis.get("findings") or []:
        old, new = f.get("old") or "", f.get("new") or ""
        quotes = (f"“{old}” → “{new}”" if old and new else f"now says “{new}”" if new
                  else f"no longer says “{old}”" if old else "")
        favour = " (in users' favour)" if f.get("effect") == "better" else ""
        items.append(f"<li><b>{html.escape(str(f.get('what', '')))}</b>{favour} "
                     f"[{html.escape(str(f.get('level', '')))}]"
                     + (f"<br>{html.escape(quotes)}" if quotes else "") + "</li>")
    return f"<p><b>What changed for users:</b></p><ul>{''.join(items)}</ul>" if items else ""


def save_private(out: Path, data: bytes | str) -> Path:
    """What the app's save dialogs write (snapshots, reports, timelines, the digest): never
    inside the data folder, owner-only, atomic. The dialog already asked before overwriting."""
    out = check_output(out, force=True, ours=None)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return write_private(out, lambda fh: fh.write(raw))


def export_platform(platform_id: str, out: Path, doc_type: str | None = None, *,
                    force: bool = False) -> Path:
    out = check_output(out, force=force)
    platform = Platform.get_or_none(id=platform_id)
    if platform is None:
        raise NotFound(f"no platform {platform_id!r} in this database")
    docs = ([find_document(platform_id, doc_type)] if doc_type
            else list(Document.select().where(Document.platform == platform)))
    files: dict[str, bytes] = {}
    manifest: dict[str, Any] = {
        "app": APP_NAME, "app_version": __version__,
        "exported_at": _stamp(dt.datetime.now(dt.UTC).replace(tzinfo=None)),
        "platform": {"id": platform.id, "name": platform.name}, "documents": [],
    }
    for doc in docs:
        folder = _slug(doc.type)
        entry: dict[str, Any] = {"type": doc.type, "urls": source_urls(doc), "versions": [],
                                 "changes": []}
        for version in Version.select().where(Version.document == doc).order_by(Version.id):
            name = f"{folder}/versions/v{version.id}-{version.first_seen:%Y%m%dT%H%M%S}.txt"
            files[name] = version.text.encode("utf-8")
            snaps = []
            for snap in Snapshot.select().where(Snapshot.id.in_(version.snapshots or [])):
                ext = EXTENSIONS.get(snap.content_type, "html")
                snap_name = f"{folder}/snapshots/s{snap.id}-{snap.fetched_at:%Y%m%dT%H%M%S}.{ext}"
                files[snap_name] = snap.body
                snaps.append({"id": snap.id, "file": snap_name, "url": redact_url(snap.url),
                              "fetched_at": _stamp(snap.fetched_at),
                              "http_status": snap.http_status, "sha256": snap.sha256})
            entry["versions"].append({
                "id": version.id, "file": name, "kind": version.kind,
                "captured_at": _stamp(version.first_seen),
                "last_verified": _stamp(version.last_verified), "sha256": version.sha256,
                "extractor_version": version.extractor_version, "snapshots": snaps,
                "citation": citation(version)})
        for change in Change.select().where(Change.document == doc).order_by(Change.id):
            report = f"{folder}/changes/c{change.id}-report.html"
            files[report] = change_report_html(change).encode("utf-8")
            entry["changes"].append({
                "id": change.id, "from": change.from_version_id, "to": change.to_version_id,
                "detected_at": _stamp(change.detected_at), "severity": change.severity,
                "categories": change.categories, "summary": change.summary,
                "effective_date": change.effective_date, "report": report,
                "severity_reason": (change.analysis or {}).get("severity_reason"),
                **correction_json(change)})
        files[f"{folder}/timeline.csv"] = timeline_csv(doc).encode("utf-8")
        files[f"{folder}/timeline.json"] = json.dumps(
            timeline_rows(doc), ensure_ascii=False, indent=1).encode("utf-8")
        manifest["documents"].append(entry)
    files["manifest.json"] = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name}\n"
                   for name, data in sorted(files.items()))
    files["SHA256SUMS"] = sums.encode("utf-8")
    def fill(fh: IO[bytes]) -> None:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                archive.writestr(name, data)

    return write_private(out, fill)
