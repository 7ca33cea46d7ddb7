"""What the user watches: at most ten platforms, from the catalogue or imported declarations.

Shared by the command line and the desktop app, so both refuse the same things with the same
words. Every operation is one transaction: a refused request changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import peewee

from watcher_app.catalog import PlatformSpec, bundled_catalog, load_declaration, parse_declaration
from watcher_app.config import MAX_WATCHED_PLATFORMS
from watcher_app.store.models import Document, Platform


class WatchError(ValueError):
    """A request refused with a message for the user; nothing was changed."""


def _sources_json(spec: PlatformSpec, doc_type: str) -> list[dict]:
    return [
        {"url": s.url, "select": list(s.select), "remove": list(s.remove),
         "executeClientScripts": s.execute_client_scripts,
         **({"filter": list(s.filters)} if s.filters else {})}
        for s in spec.documents[doc_type].sources
    ]


def _catalogue(db: peewee.Database, ids: list[str]) -> dict[str, tuple[PlatformSpec, str]]:
    """id → (spec, origin) for the ids: the bundled catalogue, and the services synced from
    Open Terms Archive into the database's folder (read only when an id needs them)."""
    bundled = bundled_catalog()
    out = {pid: (spec, "bundled") for pid, spec in bundled.items()}
    if all(pid in bundled for pid in ids):
        return out
    from watcher_app.ota.entries import catalog_entries
    from watcher_app.settings import load_settings

    folder = Path(db.database).parent if db.database != ":memory:" else None
    for entry in catalog_entries(folder, sources=load_settings().ota_sources):
        out.setdefault(entry.id, (entry.spec, entry.origin))
    return out


def watched_platforms() -> list[Platform]:
    return list(Platform.select().where(Platform.watched == True).order_by(Platform.name))  # noqa: E712


def _ensure_room(db: peewee.Database, adding: list[str]) -> None:
    watched = {p.id for p in watched_platforms()}
    new = [pid for pid in dict.fromkeys(adding) if pid not in watched]
    if len(watched) + len(new) > MAX_WATCHED_PLATFORMS:
        room = MAX_WATCHED_PLATFORMS - len(watched)
        raise WatchError(
            f"You can watch at most {MAX_WATCHED_PLATFORMS} platforms; you watch {len(watched)} "
            f"already, so {room} more can be added, not {len(new)}. Unwatch one first "
            "(its history is kept)."
        )


def _upsert(spec: PlatformSpec, origin: str) -> Platform:
    """Create or refresh a platform and its documents. Documents the declaration no longer has
    are deactivated, never deleted: their history stays."""
    platform, _ = Platform.get_or_create(
        id=spec.id, defaults={"name": spec.name, "origin": origin,
                              "declaration": spec.to_declaration()}
    )
    platform.name, platform.origin, platform.watched = spec.name, origin, True
    platform.declaration = spec.to_declaration()
    platform.save()
    for doc_type in spec.documents:
        doc, created = Document.get_or_create(
            platform=platform, type=doc_type,
            defaults={"sources": _sources_json(spec, doc_type)},
        )
        if not created:
            doc.sources, doc.active = _sources_json(spec, doc_type), True
            doc.save()
    (Document.update(active=False)
     .where((Document.platform == platform) & (Document.type.not_in(list(spec.documents))))
     .execute())
    return platform


def watch(db: peewee.Database, ids: list[str]) -> list[Platform]:
    """Watch catalogue entries (bundled, or synced from Open Terms Archive: origin
    "ota:<collection>") or platforms already in the database."""
    catalog = _catalogue(db, ids)
    unknown = [pid for pid in ids if pid not in catalog and not Platform.get_or_none(id=pid)]
    if unknown:
        raise WatchError(
            f"Unknown platform id(s): {', '.join(unknown)}. `governance-watcher catalog` lists "
            "the catalogue (`catalog --update` syncs Open Terms Archive's); `import FILE.json` "
            "adds your own."
        )
    with db.atomic():
        _ensure_room(db, ids)
        out = []
        for pid in ids:
            existing = Platform.get_or_none(id=pid)
            from_catalogue = existing is None or existing.origin == "bundled" or \
                existing.origin.startswith("ota:")
            if from_catalogue and pid in catalog:
                out.append(_upsert(*catalog[pid]))
            else:  # imported or custom (or an OTA service no longer synced): as stored
                assert existing is not None
                existing.watched = True
                existing.save()
                out.append(existing)
        return out


def unwatch(db: peewee.Database, ids: list[str]) -> list[str]:
    missing = [pid for pid in ids if not Platform.get_or_none(id=pid, watched=True)]
    if missing:
        raise WatchError(f"Not watched: {', '.join(missing)}")
    with db.atomic():
        Platform.update(watched=False).where(Platform.id.in_(ids)).execute()
    return ids


def import_declaration(db: peewee.Database, path: str | Path) -> Platform:
    """Add or replace a platform from an OTA declaration file; it is watched."""
    spec = load_declaration(path)
    with db.atomic():
        _ensure_room(db, [spec.id])
        return _upsert(spec, "imported")


def add_custom(db: peewee.Database, platform_id: str, declaration: dict) -> Platform:
    """A platform the user described in the app (same validation as an import)."""
    spec = parse_declaration(declaration, platform_id)
    with db.atomic():
        _ensure_room(db, [spec.id])
        return _upsert(spec, "custom")


def active_documents(ids: list[str] | None = None) -> list[Document]:
    query = (Document.select(Document, Platform).join(Platform)
             .where((Platform.watched == True) & (Document.active == True)))  # noqa: E712
    if ids:
        query = query.where(Platform.id.in_(ids))
    return list(query.order_by(Platform.name, Document.type))
