"""Switching watched documents to Open Terms Archive's newer declarations, never as an alert.

OTA's maintainers fix a declaration when a site moves (a new selector, a new URL). A watched
document whose declaration is one OTA has since replaced (bundled copies of OTA's, or a
declaration imported from a collection) is switched to the newest one after each catalogue
update. The switch is a technical upgrade, like a new extractor:

- the current version's stored snapshot is re-read with the new declaration when its URLs are
  the same: a different text is stored as an `upgrade` version (code `declaration-upgrade`);
- otherwise (new URLs, or the old snapshot does not read with the new selectors) the document
  is marked, and its next capture that differs is recorded as that upgrade instead of a change
  (`drift.pending_switch`). That capture's diff is there to read; it never notifies.

A hand-written declaration (no OTA declaration has its sources) is never replaced.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import peewee

from watcher_app.drift import SWITCH_KEY
from watcher_app.ota.candidates import Candidate, newer_declaration
from watcher_app.ota.store import load_ota_catalog
from watcher_app.outcomes import Code
from watcher_app.store.models import Document, Setting, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Switched:
    document_id: int
    label: str  # "Perplexity Terms of Service"
    collection: str
    reread: bool  # the stored snapshot was re-read at once (else: at the next capture)

    def line(self) -> str:
        how = ("re-read from the stored page" if self.reread
               else "its next capture is the new baseline")
        return (f"{self.label}: now read with Open Terms Archive's {self.collection} "
                f"declaration ({how}; no alert)")


def _reason(candidate: Candidate) -> str:
    when = f" of {candidate.date:%Y-%m-%d}" if candidate.date else ""
    return (f"technical upgrade: switched to Open Terms Archive's newer {candidate.collection} "
            f"declaration{when} (no alert)")


def upgrade_declarations(db: peewee.Database, data_dir: Path,
                         now: dt.datetime | None = None) -> list[Switched]:
    """Switch every watched document whose OTA declaration was replaced; what was switched."""
    from watcher_app.capture import Capture, recapture
    from watcher_app.recorder import Recorder, current_version
    from watcher_app.watchlist import active_documents

    when = now or dt.datetime.now(dt.UTC)
    catalog = load_ota_catalog(data_dir)
    if not catalog.collections:
        return []
    out: list[Switched] = []
    for doc in active_documents():
        candidate = newer_declaration(catalog, doc.platform_id, doc.type, doc.sources or [], when)
        if candidate is None:
            continue
        label = f"{doc.platform.name} {doc.type}"
        new_sources = candidate.sources_json()
        same_urls = [s.get("url") for s in doc.sources or []] == [s["url"] for s in new_sources]
        doc.sources = new_sources
        reason = _reason(candidate)
        current = current_version(doc)
        # Read before the write lock is taken (extraction); written in one transaction with
        # the new sources, so a crash can never leave them switched without the upgrade or the
        # mark that keeps the next capture from alerting.
        cap = (recapture(doc, list(current.snapshots))
               if current is not None and current.snapshots and same_urls else None)
        if cap is not None and (cap.problem is not None or not cap.lines):
            cap = None  # the stored page does not read with the new declaration
        recorder = Recorder(db)
        with db.atomic("IMMEDIATE"):
            Document.update(sources=doc.sources).where(Document.id == doc.id).execute()
            if cap is not None and current is not None:
                recorder.upgrade(doc, cap, current, Code.DECLARATION_UPGRADE, reason)
            else:
                Setting.insert(key=SWITCH_KEY.format(document=doc.id),
                               value={"reason": reason, "at": utcnow().isoformat()}
                               ).on_conflict_replace().execute()
                recorder.declaration_switched(
                    doc, Capture(), reason + "; its next capture is the new baseline",
                    {"collection": candidate.collection, "service": candidate.service_id})
        log.info("%s: switched to %s's declaration", label, candidate.collection)
        out.append(Switched(doc.id, label, candidate.collection, reread=cap is not None))
    return out
