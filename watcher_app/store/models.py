"""The database tables (peewee on SQLite).

Every poll leaves a `Check` row (the verification event). A `Version` is stored only for text
that passed validation; a `Change` links two versions and carries the analysis. Raw bytes are
kept as zlib-compressed `Snapshot`s, as evidence for the versions they produced.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import peewee

# Bound at runtime by store.db.open_database (one database per process; the GUI and the CLI
# both open it through there).
database_proxy = peewee.DatabaseProxy()


def utcnow() -> dt.datetime:
    """Naive UTC timestamps everywhere in the database (SQLite has no time zones)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class JSONField(peewee.TextField):
    """JSON stored as text; None stays NULL."""

    def db_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value: str | None) -> Any:
        return None if value is None else json.loads(value)


class BaseModel(peewee.Model):
    class Meta:
        database = database_proxy
        legacy_table_names = False


class SchemaVersion(BaseModel):
    """One row per applied migration: the numbered history of the schema."""

    version = peewee.IntegerField(primary_key=True)
    name = peewee.TextField()
    applied_at = peewee.DateTimeField(default=utcnow)


class Platform(BaseModel):
    id = peewee.TextField(primary_key=True)
    name = peewee.TextField()
    # "bundled" (from resources/catalog), "imported" (an OTA declaration file) or "custom"
    origin = peewee.TextField(default="bundled")
    declaration = JSONField()  # the OTA declaration as watched, so an import survives upgrades
    watched = peewee.BooleanField(default=True, index=True)
    added_at = peewee.DateTimeField(default=utcnow)


class Document(BaseModel):
    platform = peewee.ForeignKeyField(Platform, backref="documents", on_delete="CASCADE")
    type = peewee.TextField()
    sources = JSONField()  # [{"url", "select", "remove", "executeClientScripts"}]
    active = peewee.BooleanField(default=True)
    check_interval_s = peewee.IntegerField(null=True)  # per-document override of the setting
    created_at = peewee.DateTimeField(default=utcnow)
    last_check_at = peewee.DateTimeField(null=True)
    last_outcome = peewee.TextField(null=True)
    last_reason = peewee.TextField(null=True)
    consecutive_failures = peewee.IntegerField(default=0)
    # A server that answered 429/503 with Retry-After is not asked again before this time.
    retry_not_before = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("platform", "type"), True),)


class Snapshot(BaseModel):
    document = peewee.ForeignKeyField(Document, backref="snapshots", on_delete="CASCADE")
    source_index = peewee.IntegerField(default=0)
    url = peewee.TextField()
    fetched_at = peewee.DateTimeField(default=utcnow, index=True)
    http_status = peewee.IntegerField()
    headers = JSONField(default=dict)
    content_type = peewee.TextField()
    sha256 = peewee.TextField(index=True)  # of the raw (uncompressed) bytes
    size = peewee.IntegerField()
    raw = peewee.BlobField()  # zlib-compressed bytes


class Version(BaseModel):
    document = peewee.ForeignKeyField(Document, backref="versions", on_delete="CASCADE")
    text = peewee.TextField()
    sha256 = peewee.TextField(index=True)  # of the UTF-8 text
    key_sha256 = peewee.TextField()  # of the comparison key (the words that make the text)
    links = JSONField(default=list)
    snapshots = JSONField(default=list)  # ids of the snapshots this text was extracted from
    extractor_version = peewee.IntegerField()
    # "first", "change" (alerted), "noise" (text moved but only noise: kept, never alerted),
    # "upgrade" (re-extracted by a newer extractor from the stored snapshot)
    kind = peewee.TextField(default="change")
    first_seen = peewee.DateTimeField(default=utcnow, index=True)
    last_verified = peewee.DateTimeField(default=utcnow)
    current = peewee.BooleanField(default=False, index=True)


class Check(BaseModel):
    document = peewee.ForeignKeyField(Document, backref="checks", on_delete="CASCADE")
    started_at = peewee.DateTimeField(default=utcnow, index=True)
    duration_s = peewee.FloatField(default=0.0)
    # first | unchanged | changed | blocked | error | upgrade
    outcome = peewee.TextField(index=True)
    reason = peewee.TextField(default="")
    http_status = peewee.IntegerField(null=True)
    raw_sha256 = peewee.TextField(null=True)  # what was fetched, even when nothing was stored
    version = peewee.ForeignKeyField(Version, null=True, on_delete="SET NULL")


class Change(BaseModel):
    document = peewee.ForeignKeyField(Document, backref="changes", on_delete="CASCADE")
    from_version = peewee.ForeignKeyField(Version, on_delete="CASCADE", backref="+")
    to_version = peewee.ForeignKeyField(Version, on_delete="CASCADE", backref="+")
    detected_at = peewee.DateTimeField(default=utcnow, index=True)
    stats = JSONField(default=dict)
    severity = peewee.TextField(null=True)
    categories = JSONField(default=list)
    summary = peewee.TextField(null=True)
    effective_date = peewee.TextField(null=True)
    analysis = JSONField(null=True)
    read = peewee.BooleanField(default=False, index=True)
    notified = peewee.BooleanField(default=False)


class Alert(BaseModel):
    """The notification log: every alert the app raised and how it reached the user."""

    created_at = peewee.DateTimeField(default=utcnow, index=True)
    kind = peewee.TextField()  # change | failure | reminder | digest
    change = peewee.ForeignKeyField(Change, null=True, on_delete="SET NULL")
    document = peewee.ForeignKeyField(Document, null=True, on_delete="SET NULL")
    title = peewee.TextField()
    body = peewee.TextField(default="")
    channel = peewee.TextField(default="none")  # native | tray | banner | none
    delivered = peewee.BooleanField(default=False)
    detail = peewee.TextField(default="")


class Setting(BaseModel):
    key = peewee.TextField(primary_key=True)
    value = JSONField()


ALL_MODELS: tuple[type[BaseModel], ...] = (
    SchemaVersion, Platform, Document, Snapshot, Version, Check, Change, Alert, Setting,
)
