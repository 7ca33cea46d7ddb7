"""The UI's writes (no Qt here): every change the user makes goes through one of these.

Each command is one transaction, so a refused or failed command leaves the database as it
was. Widgets call them through `ui/runtime.run_task` (off the GUI thread) wherever they can
wait for a callback; the few that stay synchronous say why at the call site (a dialog that
validates, shows the refusal in place and closes on success). The read side is
`ui/queries.py`; widget modules never import `store.models` (tests/ui/test_layering.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import peewee

from watcher_app import corrections, watchlist
from watcher_app.settings import Settings
from watcher_app.settings import save_settings as _save_settings
from watcher_app.settings import set_document_interval as _set_document_interval
from watcher_app.store.models import Change, Document, Setting, database_proxy

if TYPE_CHECKING:
    from watcher_app.backfill.importer import Progress as BackfillProgress
    from watcher_app.ui.queries import FeedFilter


# --- the activity feed -------------------------------------------------------------------------


def mark_read(change_ids: list[int], read: bool = True) -> int:
    """Mark changes read (or unread); how many rows changed."""
    if not change_ids:
        return 0
    with database_proxy.atomic():
        return int(Change.update(read=read).where(Change.id.in_(change_ids)).execute())


def mark_all_read(flt: FeedFilter) -> int:
    """Every unread change the feed's filter shows, in one statement."""
    from watcher_app.ui.queries import feed_query

    with database_proxy.atomic():
        ids = [c.id for c in cast(Iterable[Change], feed_query(flt).where(
            Change.read == False))]  # noqa: E712
        if not ids:
            return 0
        return int(Change.update(read=True).where(Change.id.in_(ids)).execute())


def correct_change(change_id: int, **fields: Any) -> int:
    """The user's own severity, topics or note (corrections.correct_change); the change id."""
    corrections.correct_change(change_id, **fields)
    return change_id


def reset_correction(change_id: int) -> int:
    """Back to the app's reading; the change id."""
    corrections.reset_correction(change_id)
    return change_id


# --- the watch list ------------------------------------------------------------------------------


def set_watched(db: peewee.Database, ids: Iterable[str]) -> None:
    """The picker's OK: exactly these platforms watched, in one transaction."""
    watchlist.set_watched(db, list(ids))


def unwatch(db: peewee.Database, platform_id: str) -> str:
    """Stop watching one platform (its history is kept); its id."""
    watchlist.unwatch(db, [platform_id])
    return platform_id


@dataclass(frozen=True)
class ImportedPlatform:
    """A platform just added from a declaration, as the window announces it."""

    id: str
    name: str
    notes: tuple[str, ...]  # e.g. a private address the user declared


def import_declaration(db: peewee.Database, path: str | Path, *, replace: bool = False,
                       strict: bool = False, watch_now: bool = True) -> ImportedPlatform:
    """watchlist.import_declaration (watched at once unless `watch_now` is False: the picker
    watches it only when "Watch selected" is pressed); raises what that raises."""
    platform = watchlist.import_declaration(db, path, replace=replace, strict=strict,
                                            watch_now=watch_now)
    return ImportedPlatform(platform.id, platform.name,
                            tuple(watchlist.address_notes(platform)))


def add_custom(db: peewee.Database, platform_id: str, declaration: dict[str, Any], *,
               watch_now: bool = True) -> str:
    """A platform the user described in the app (watched at once unless `watch_now` is
    False, as for an import in the picker); its id."""
    return str(watchlist.add_custom(db, platform_id, declaration, watch_now=watch_now).id)


# --- settings kept in the database ---------------------------------------------------------------


def save_settings(settings: Settings) -> None:
    """Validate and store the settings (one transaction; raises SettingsError). Called on the
    GUI thread: a few small rows, and the dialogs show a refusal in place."""
    _save_settings(settings)


def set_document_interval(document_id: int, seconds: int | None) -> None:
    """A document's own check interval (None: the global setting). Raises SettingsError."""
    _set_document_interval(document_id, seconds)


def save_ui_setting(key: str, value: Any) -> None:
    """A setting row the UI keeps for itself (the window's layout)."""
    with database_proxy.atomic():
        Setting.insert(key=key, value=value).on_conflict_replace().execute()


# --- history from Open Terms Archive --------------------------------------------------------


def backfill_document(document_id: int, dataset: str | None, cancelled: threading.Event,
                      progress: Callable[[BackfillProgress], None]) -> list[Any]:
    """Import one document's archived history (run in the thread pool: it downloads). The
    backfill commits as it goes, so a cancelled one keeps what it imported."""
    from watcher_app.backfill.run import backfill

    doc = Document.get_by_id(document_id)
    return list(backfill(database_proxy.obj, doc.platform_id, document=doc.type,
                         dataset=dataset, cancelled=cancelled.is_set, progress=progress))
