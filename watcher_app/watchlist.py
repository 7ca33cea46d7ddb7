"""What the user watches: at most ten platforms, from the catalogue or imported declarations.

Shared by the command line and the desktop app, so both refuse the same things with the same
words. Every operation is one transaction: a refused request changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import peewee

from watcher_app.catalog import PlatformSpec, bundled_catalog, load_declaration, parse_declaration
from watcher_app.config import MAX_WATCHED_PLATFORMS
from watcher_app.netguard import WHY, url_class
from watcher_app.store.models import Document, Platform


class WatchError(ValueError):
    """A request refused with a message for the user; nothing was changed."""


@dataclass
class Replacement:
    """What importing a declaration over an existing (or bundled) platform id would change."""

    platform_id: str
    was: str  # "the bundled platform “Anthropic”" / "the imported platform “Acme”"
    in_database: bool = True  # False: a bundled id this database has never used
    changes: list[str] = field(default_factory=list)
    dropped: list[tuple[int, str]] = field(default_factory=list)  # credentials (doc id, kind)

    def summary(self) -> str:
        return "; ".join(self.changes) or "nothing else changes"


class ReplaceNeeded(WatchError):
    """An import would replace an existing platform: the user must say so (--replace, or yes
    in the app's question)."""

    def __init__(self, replacement: Replacement) -> None:
        self.replacement = replacement
        super().__init__(
            f"{replacement.platform_id!r} is {replacement.was} already; importing this file "
            f"would replace it ({replacement.summary()}). Its history is kept. Run the import "
            "again with --replace to do it.")


def _sources_json(spec: PlatformSpec, doc_type: str) -> list[dict[str, Any]]:
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


def _upsert(spec: PlatformSpec, origin: str, watch_now: bool = True) -> Platform:
    """Create or refresh a platform and its documents. Documents the declaration no longer has
    are deactivated, never deleted: their history stays. Without `watch_now` a new platform is
    stored unwatched (the picker watches it on "Watch selected"); a watched one stays so."""
    # peewee's stubs leave Model.get_or_create unannotated (it returns (instance, created))
    platform: Platform
    created: bool
    platform, created = Platform.get_or_create(  # type: ignore[no-untyped-call]
        id=spec.id, defaults={"name": spec.name, "origin": origin,
                              "declaration": spec.to_declaration(), "watched": watch_now}
    )
    platform.name, platform.origin = spec.name, origin
    platform.watched = watch_now or (not created and platform.watched)
    platform.declaration = spec.to_declaration()
    platform.save()
    for doc_type in spec.documents:
        doc, created = Document.get_or_create(  # type: ignore[no-untyped-call]  # as above
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


def set_watched(db: peewee.Database, ids: list[str]) -> tuple[list[str], list[str]]:
    """Make exactly `ids` the watched platforms, in one transaction: (added, dropped). A
    refused request (too many, an unknown id) raises WatchError and changes nothing: the
    platforms watched before stay watched."""
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > MAX_WATCHED_PLATFORMS:
        raise WatchError(f"You can watch at most {MAX_WATCHED_PLATFORMS} platforms, not "
                         f"{len(wanted)}. Leave some out (their history is kept).")
    with db.atomic():
        watched = {p.id for p in watched_platforms()}
        dropped = sorted(watched - set(wanted))
        added = [pid for pid in wanted if pid not in watched]
        if dropped:
            Platform.update(watched=False).where(Platform.id.in_(dropped)).execute()
        if added:
            watch(db, added)  # a refusal raises here: the unwatching above is rolled back
    return added, dropped


def _urls(declaration: dict[str, Any] | None) -> dict[str, list[str]]:
    """Document type → its URLs, from a declaration as stored (OTA format)."""
    out: dict[str, list[str]] = {}
    terms = (declaration or {}).get("terms") or (declaration or {}).get("documents") or {}
    for doc_type, doc in terms.items() if isinstance(terms, dict) else ():
        sources = doc.get("combine", [doc]) if isinstance(doc, dict) else []
        out[doc_type] = [s.get("fetch", "") for s in sources if isinstance(s, dict)]
    return out


def _hosts(urls: dict[str, list[str]]) -> set[str]:
    return {urlsplit(u).hostname or "" for group in urls.values() for u in group} - {""}


def _listed(values: list[str], most: int = 4) -> str:
    shown = ", ".join(values[:most])
    return shown + (f" and {len(values) - most} more" if len(values) > most else "")


def replacement_for(spec: PlatformSpec) -> Replacement | None:
    """What importing ``spec`` would replace, or None when its id is new."""
    from watcher_app import credentials

    existing = Platform.get_or_none(id=spec.id)
    bundled = bundled_catalog().get(spec.id)
    if existing is None and bundled is None:
        return None
    if existing is not None:
        kind = {"bundled": "bundled", "custom": "your own"}.get(existing.origin, "imported")
        old_name, old = existing.name, existing.declaration
    else:
        assert bundled is not None
        kind, old_name, old = "bundled", bundled.name, bundled.to_declaration()
    repl = Replacement(spec.id, f"the {kind} platform \u201c{old_name}\u201d",
                       in_database=existing is not None)
    before, after = _urls(old), _urls(spec.to_declaration())
    if spec.name != old_name:
        repl.changes.append(f"name \u201c{old_name}\u201d \u2192 \u201c{spec.name}\u201d")
    removed = [u for group in before.values() for u in group
               if u not in {v for g in after.values() for v in g}]
    added = [u for group in after.values() for u in group
             if u not in {v for g in before.values() for v in g}]
    for label, values in (("documents dropped", [t for t in before if t not in after]),
                          ("documents added", [t for t in after if t not in before]),
                          ("hosts removed", sorted(_hosts(before) - _hosts(after))),
                          ("hosts added", sorted(_hosts(after) - _hosts(before))),
                          ("URLs removed", removed), ("URLs added", added)):
        if values:
            repl.changes.append(f"{label}: {_listed(list(dict.fromkeys(values)))}")
    if existing is not None:
        for doc in Document.select().where(Document.platform == existing):
            new_urls, doc_id = after.get(doc.type), int(doc.id)
            for kind_ in credentials.moved(doc_id, new_urls[0]) if new_urls else []:
                repl.dropped.append((doc_id, kind_))
                repl.changes.append(f"the stored {kind_} credential of {doc.type} is deleted "
                                    "(it is never sent to another site)")
            if not new_urls and credentials.bound_origin(doc_id):
                repl.dropped += [(doc_id, k) for k in ("cookie", "basic")]
                repl.changes.append(f"{doc.type} is no longer checked and its stored "
                                    "credentials are deleted")
    return repl


def _vet_text(spec: PlatformSpec) -> None:
    """Strings SQLite can store: a declaration's JSON may hold lone surrogates ("\\udcff")."""
    try:
        json.dumps(spec.to_declaration(), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise WatchError(f"{spec.id}: the declaration holds text that is not valid Unicode "
                         f"(a lone surrogate at position {exc.start})") from None


def _vet_addresses(spec: PlatformSpec) -> list[str]:
    """Refuse URLs that name a link-local or metadata address; notes for private ones (they
    are fetched, because the user asked for them, but the user should know)."""
    _vet_text(spec)
    notes = []
    for doc in spec.documents.values():
        for source in doc.sources:
            kind = url_class(source.url)
            host = urlsplit(source.url).hostname
            if kind == "forbidden":
                raise WatchError(f"{spec.id} / {doc.type}: {source.url} points at {host}, "
                                 f"{WHY['forbidden']}.")
            if kind == "private":
                notes.append(f"note: {spec.id} / {doc.type} is fetched from {host}, "
                             f"{WHY['private']} (allowed because you declared it)")
    return notes


def address_notes(platform: Platform) -> list[str]:
    """The notes of _vet_addresses for a stored platform (the CLI prints them after import and
    watch)."""
    try:
        return _vet_addresses(parse_declaration(platform.declaration, platform.id))
    except (ValueError, TypeError):
        return []


def import_file(db: peewee.Database, path: str | Path, *, replace: bool = False,
                strict: bool = False, watch_now: bool = True
                ) -> tuple[Platform, Replacement | None]:
    """Add a platform from an OTA declaration file; it is watched. An id this database holds
    (with its history, maybe credentials) is replaced only with ``replace``: otherwise
    ReplaceNeeded says what would change. A bundled id the database never used has nothing to
    lose: it is imported, and the Replacement returned says what differs from the bundled one
    (``strict``, the app's way: ask for that too). Credentials whose document moves to another
    origin are deleted."""
    spec = load_declaration(path)
    _vet_addresses(spec)
    with db.atomic():
        repl = replacement_for(spec)
        if repl is not None and not replace and (repl.in_database or strict):
            raise ReplaceNeeded(repl)
        if watch_now:
            _ensure_room(db, [spec.id])
        platform = _upsert(spec, "imported", watch_now)
    if repl is not None and repl.dropped:
        from watcher_app import credentials

        credentials.drop(repl.dropped)
    return platform, repl


def import_declaration(db: peewee.Database, path: str | Path, *, replace: bool = False,
                       strict: bool = False, watch_now: bool = True) -> Platform:
    """import_file without the replacement details."""
    return import_file(db, path, replace=replace, strict=strict, watch_now=watch_now)[0]


def add_custom(db: peewee.Database, platform_id: str, declaration: dict[str, Any], *,
               watch_now: bool = True) -> Platform:
    """A platform the user described in the app (same validation as an import)."""
    spec = parse_declaration(declaration, platform_id)
    _vet_addresses(spec)
    with db.atomic():
        if replacement_for(spec) is not None:
            raise WatchError(f"A platform with the id \u201c{spec.id}\u201d exists already; "
                             "choose another id.")
        if watch_now:
            _ensure_room(db, [spec.id])
        return _upsert(spec, "custom", watch_now)


def active_documents(ids: list[str] | None = None) -> list[Document]:
    query = (Document.select(Document, Platform).join(Platform)
             .where((Platform.watched == True) & (Document.active == True)))  # noqa: E712
    if ids:
        query = query.where(Platform.id.in_(ids))
    return list(query.order_by(Platform.name, Document.type))
