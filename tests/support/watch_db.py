"""A real SQLite database in a temporary folder, with platforms and documents made directly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import peewee

from watcher_app.store.db import open_database
from watcher_app.store.models import Document, Platform


def fresh_database(folder: Path) -> peewee.SqliteDatabase:
    return open_database(folder)


def add_document(platform_id: str = "anthropic", doc_type: str = "Usage Policy", *,
                 platform_name: str | None = None, last_check_at: dt.datetime | None = None,
                 **fields: object) -> Document:
    """A watched platform (created when missing) with one active document."""
    platform, _ = Platform.get_or_create(
        id=platform_id, defaults={"name": platform_name or platform_id.title(),
                                  "declaration": {"name": platform_id, "terms": {}}})
    fields.setdefault("sources", [{"url": f"https://{platform_id}.example/{doc_type}"}])
    return Document.create(platform=platform, type=doc_type, last_check_at=last_check_at,
                           **fields)
