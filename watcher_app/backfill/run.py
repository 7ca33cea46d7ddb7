"""Backfill a watched platform's history from an Open Terms Archive versions dataset.

    reports = backfill(db, "anthropic", document="Privacy Policy", dataset=path_or_url,
                       progress=callback, cancelled=event.is_set)

Everything that can be refused is checked before anything is written: the platform is watched,
the dataset opens and is a versions dataset, it holds the service and the documents. Then each
document is imported (importer.py). Runs in any thread (the desktop app runs it in its thread
pool); `progress` is called from that thread, `cancelled` is polled between versions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import peewee

from watcher_app.backfill.dataset import Dataset, OtaVersion, open_dataset
from watcher_app.backfill.importer import DocumentReport, Progress, _Run, import_document
from watcher_app.backfill.live import live_note
from watcher_app.backfill.source import Cancelled, DatasetError
from watcher_app.outcomes import Origin
from watcher_app.recorder import Recorder
from watcher_app.store.models import Document, Platform, Version

if TYPE_CHECKING:
    from watcher_app.catalog_origin import OtaOrigin

__all__ = ["BackfillError", "Cancelled", "DocumentReport", "Progress", "backfill",
           "ota_identity"]


class BackfillError(Exception):
    """Refused or failed, with one line for the user; nothing stored was changed."""


@dataclass(frozen=True)
class OtaIdentity:
    services: tuple[str, ...]  # OTA service ids to look for, the followed one first
    collection: str | None  # the collection whose dataset holds them


def ota_identity(platform: Platform) -> OtaIdentity:
    """The platform's OTA service id: from the catalogue's origin of a bundled platform
    (catalog_origin), the `_ota` object an imported declaration carries, or the collection a
    platform synced from OTA came from ("ota:<collection>"); else its name, else its id (the
    dataset also matches a service whose slug is the platform's id)."""
    services: list[str] = []
    collection = None
    origin = _origin_of(platform)
    if origin is not None:
        collection = origin.source.collection
        services += [s.service for s in origin.services] + list(origin.history)
    elif platform.origin.startswith("ota:"):
        collection = platform.origin.removeprefix("ota:") or None
    services += [platform.name, platform.id]
    return OtaIdentity(tuple(dict.fromkeys(s for s in services if s)), collection)


def _origin_of(platform: Platform) -> OtaOrigin | None:
    from watcher_app.catalog import CatalogError
    from watcher_app.catalog_origin import bundled_origins, parse_origin

    try:
        declaration = platform.declaration if isinstance(platform.declaration, dict) else {}
        if declaration.get("_ota") is not None:
            return parse_origin(declaration, platform.id)
        return bundled_origins().get(platform.id) if platform.origin == "bundled" else None
    except CatalogError:  # a malformed origin: fall back to the name
        return None


def backfill(db: peewee.Database, platform_id: str, *, document: str | None = None,
             dataset: str | None = None, service: str | None = None,
             collection: str | None = None,
             progress: Callable[[Progress], None] | None = None,
             cancelled: Callable[[], bool] | None = None) -> list[DocumentReport]:
    notify = progress or (lambda _p: None)
    stop = cancelled or (lambda: False)
    platform, docs = _documents(platform_id, document)
    identity = ota_identity(platform)
    notify(Progress("", 0, 0, phase="directory"))
    try:
        data = open_dataset(dataset, collection or identity.collection, cancelled=stop)
    except (DatasetError, Cancelled) as exc:
        raise BackfillError(str(exc) or "cancelled") from None
    try:
        chosen = _match(data, platform, docs, [service] if service else list(identity.services),
                        document is not None, slug_of=None if service else platform.id)
        provenance = {"collection": collection or identity.collection,
                      "release": data.tag, "dataset": data.basename or data.source.name}
        reports: list[DocumentReport] = []
        recorder = Recorder(db)
        from watcher_app.monitor import _analyze  # the monitor's own analysis of a change

        for doc, svc, versions in chosen:
            report = DocumentReport(doc.type, svc)
            reports.append(report)
            run = _Run(doc, data, recorder, report, provenance, _analyze)
            try:
                import_document(run, versions, notify, stop)
            except DatasetError as exc:
                raise BackfillError(f"{exc} ({report.imported} versions of {doc.type} were "
                                    "imported before it; run again to resume)") from None
            _span(report, doc)
            report.live_note = live_note(doc)
            if report.cancelled:
                break
        return reports
    finally:
        data.close()


def _documents(platform_id: str, document: str | None) -> tuple[Platform, list[Document]]:
    platform = Platform.get_or_none(Platform.id == platform_id)
    if platform is None:
        raise BackfillError(f"no platform {platform_id!r} in this database (watch it first: "
                            f"governance-watcher watch {platform_id})")
    if not platform.watched:
        raise BackfillError(f"{platform_id} is not watched (watch it first: governance-watcher "
                            f"watch {platform_id})")
    docs = list(Document.select().where((Document.platform == platform)
                                        & (Document.active == True))  # noqa: E712
                .order_by(Document.type))
    if document is not None:
        docs = [d for d in docs if d.type.casefold() == document.casefold()]
        if not docs:
            known = ", ".join(d.type for d in Document.select().where(
                (Document.platform == platform) & (Document.active == True))  # noqa: E712
                .order_by(Document.type)) or "none"
            raise BackfillError(f"{platform_id} has no document {document!r} (it has: {known})")
    return platform, docs


def _match(data: Dataset, platform: Platform, docs: list[Document], candidates: list[str],
           one: bool, slug_of: str | None) -> list[tuple[Document, str, list[OtaVersion]]]:
    svc = data.find_service(candidates, slug_of=slug_of)
    if svc is None:
        services = data.services()
        listed = ", ".join(services[:12]) + (f" and {len(services) - 12} more"
                                             if len(services) > 12 else "")
        raise BackfillError(f"the dataset has no service {candidates[0]!r} (it has {listed}); "
                            "name the right one with --service \"OTA service id\"")
    types = {t.casefold(): t for t in data.terms_types(svc)}
    chosen = [(d, svc, data.versions(svc, types[d.type.casefold()])) for d in docs
              if d.type.casefold() in types]
    if not chosen:
        what = f"no {docs[0].type!r}" if one else "none of the watched documents"
        raise BackfillError(f"the dataset holds {what} of {svc} (it has: "
                            f"{', '.join(data.terms_types(svc))})")
    return chosen


def _span(report: DocumentReport, doc: Document) -> None:
    row = (Version.select(peewee.fn.MIN(Version.first_seen), peewee.fn.MAX(Version.first_seen))
           .where((Version.document == doc) & (Version.origin == Origin.OPEN_TERMS_ARCHIVE))
           .tuples().first())
    if row is not None:
        report.first_at, report.last_at = (_as_datetime(row[0]), _as_datetime(row[1]))


def _as_datetime(value: Any) -> Any:
    """MIN/MAX of a DATETIME column come back as text in SQLite."""
    import datetime as dt

    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value
