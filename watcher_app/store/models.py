"""The database tables (peewee on SQLite).

Every poll leaves a `Check` row (the verification event; a run of identical "verified" checks
shares one row with a count). A `Version` is stored only for text that passed validation; a
`Change` links two versions and carries the analysis. Raw bytes are kept as `Snapshot`s, as
evidence for the versions they produced. Version texts and snapshot bytes live in `Chunk`s
(store/content.py): compressed, each piece stored once; `version.text` and `snapshot.body`
read and write them like plain columns.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import peewee

from watcher_app.clock import utcnow as utcnow  # re-exported: the core reads it from here
from watcher_app.store import content

# Bound at runtime by store.db.open_database (one database per process; the GUI and the CLI
# both open it through there).
database_proxy = peewee.DatabaseProxy()


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
    if TYPE_CHECKING:  # backrefs peewee adds at runtime
        documents: peewee.ModelSelect
    name = peewee.TextField()
    # "bundled" (from resources/catalog), "imported" (an OTA declaration file) or "custom"
    origin = peewee.TextField(default="bundled")
    declaration = JSONField()  # the OTA declaration as watched, so an import survives upgrades
    watched = peewee.BooleanField(default=True, index=True)
    added_at = peewee.DateTimeField(default=utcnow)


class Document(BaseModel):
    id = peewee.AutoField()
    platform = peewee.ForeignKeyField(Platform, backref="documents", on_delete="CASCADE")
    if TYPE_CHECKING:  # the foreign key's raw value and the backrefs peewee adds at runtime
        platform_id: str
        versions: peewee.ModelSelect
        checks: peewee.ModelSelect
        snapshots: peewee.ModelSelect
        changes: peewee.ModelSelect
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
    last_code = peewee.TextField(null=True)  # outcomes.Code (or a fetch error code)
    # Held while a check of this document runs in some process (pid@host), so a second process
    # never checks, records and alerts the same change twice; a stale lease expires.
    lease_until = peewee.DateTimeField(null=True)
    lease_owner = peewee.TextField(null=True)

    class Meta:
        indexes = ((("platform", "type"), True),)


class Chunk(BaseModel):
    """A piece of stored content, zlib-compressed, stored once (see store/content.py)."""

    id = peewee.AutoField()
    sha = peewee.BlobField(unique=True)  # SHA-256 of the uncompressed piece (32 bytes)
    size = peewee.IntegerField()
    data = peewee.BlobField()


class _Content:
    """Content kept in chunks, read lazily and written by `save()` in the caller's
    transaction. Assign a new value to store it; `prepare` is called at once, so the cutting
    and compressing happen before the write lock is taken."""

    def __init__(self, column: str, rule: Any, encode: bool) -> None:
        self.column, self.rule, self.encode = column, rule, encode

    def __set_name__(self, owner: type, name: str) -> None:
        self.cache = f"_{name}_value"
        self.prepared = f"_{name}_prepared"

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        if self.cache not in obj.__dict__:
            packed = obj.__data__.get(self.column)
            if packed is None:
                raise content.ContentError(f"{owner.__name__ if owner else 'row'} "
                                           f"{obj.__data__.get('id')}: content not selected")
            data = content.load(obj._meta.database.execute_sql, bytes(packed))
            obj.__dict__[self.cache] = data.decode("utf-8") if self.encode else data
        return obj.__dict__[self.cache]

    def __set__(self, obj: Any, value: Any) -> None:
        data = value.encode("utf-8") if self.encode else bytes(value)
        obj.__dict__[self.cache] = value
        obj.__dict__[self.prepared] = content.Prepared(data, self.rule)
        obj.size = len(value)

    def flush(self, obj: Any) -> None:
        prepared = obj.__dict__.pop(self.prepared, None)
        if prepared is not None:
            setattr(obj, self.column, content.store(obj._meta.database.execute_sql, prepared))


class Snapshot(BaseModel):
    id = peewee.AutoField()
    document = peewee.ForeignKeyField(Document, backref="snapshots", on_delete="CASCADE")
    if TYPE_CHECKING:
        document_id: int
        body: bytes  # the raw bytes as fetched (read from and written to chunks)
    source_index = peewee.IntegerField(default=0)
    url = peewee.TextField()
    fetched_at = peewee.DateTimeField(default=utcnow, index=True)
    http_status = peewee.IntegerField()
    headers = JSONField(default=dict)
    content_type = peewee.TextField()
    sha256 = peewee.TextField(index=True)  # of the raw (uncompressed) bytes
    size = peewee.IntegerField()
    raw_chunks = peewee.BlobField()  # store/content.py chunk list
    if not TYPE_CHECKING:
        body = _Content("raw_chunks", content.RAW, encode=False)

    def save(self, *args: Any, **kwargs: Any) -> Any:
        type(self).__dict__["body"].flush(self)
        return super().save(*args, **kwargs)


class Version(BaseModel):
    id = peewee.AutoField()
    document = peewee.ForeignKeyField(Document, backref="versions", on_delete="CASCADE")
    if TYPE_CHECKING:
        document_id: int
        text: str  # the text (read from and written to chunks)
    kind = peewee.TextField(default="change")  # outcomes.VersionKind
    first_seen = peewee.DateTimeField(default=utcnow, index=True)
    last_verified = peewee.DateTimeField(default=utcnow)
    current = peewee.BooleanField(default=False, index=True)
    origin = peewee.TextField(default="live")  # "live" or "open-terms-archive"
    extractor_version = peewee.IntegerField()
    sha256 = peewee.TextField(index=True)  # of the UTF-8 text
    key_sha256 = peewee.TextField()  # of the comparison key (the words that make the text)
    size = peewee.IntegerField(default=0)  # the text's length in characters
    # The bytes (all sources) last fetched that read as exactly this text: fetched again,
    # they are this version without reading them (capture.py).
    raw_sha256 = peewee.TextField(null=True)
    text_chunks = peewee.BlobField()  # store/content.py chunk list
    links = JSONField(default=list)
    snapshots = JSONField(default=list)  # ids of the snapshots this text was extracted from
    provenance = JSONField(null=True)  # where an imported version came from
    if not TYPE_CHECKING:
        text = _Content("text_chunks", content.TEXT, encode=True)

    def save(self, *args: Any, **kwargs: Any) -> Any:
        type(self).__dict__["text"].flush(self)
        return super().save(*args, **kwargs)


class Check(BaseModel):
    id = peewee.AutoField()
    document = peewee.ForeignKeyField(Document, backref="checks", on_delete="CASCADE")
    if TYPE_CHECKING:
        document_id: int
        version_id: int | None
    started_at = peewee.DateTimeField(default=utcnow, index=True)
    duration_s = peewee.FloatField(default=0.0)
    outcome = peewee.TextField(index=True)  # outcomes.Outcome
    code = peewee.TextField(default="")  # outcomes.Code, or a fetch error code
    reason = peewee.TextField(default="")  # for people only: never parsed
    detail = JSONField(null=True)  # structured extras (the fallback selector used, …)
    http_status = peewee.IntegerField(null=True)
    raw_sha256 = peewee.TextField(null=True)  # what was fetched, even when nothing was stored
    version = peewee.ForeignKeyField(Version, null=True, on_delete="SET NULL")
    # A run of identical "verified" checks is one row: `started_at` is the latest of them,
    # `first_started_at` the first (NULL for a single check), `repeats` how many.
    repeats = peewee.IntegerField(default=1)
    first_started_at = peewee.DateTimeField(null=True)


class Change(BaseModel):
    id = peewee.AutoField()
    document = peewee.ForeignKeyField(Document, backref="changes", on_delete="CASCADE")
    if TYPE_CHECKING:
        document_id: int
        from_version_id: int
        to_version_id: int
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
    # The user's own reading of the change, kept beside the app's (never overwriting it).
    user_severity = peewee.TextField(null=True)
    user_categories = JSONField(null=True)
    user_note = peewee.TextField(null=True)
    corrected_at = peewee.DateTimeField(null=True)


class Alert(BaseModel):
    """The notification log: every alert the app raised and how it reached the user."""

    id = peewee.AutoField()
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    kind = peewee.TextField()  # change | failure | reminder | digest
    change = peewee.ForeignKeyField(Change, null=True, on_delete="SET NULL")
    document = peewee.ForeignKeyField(Document, null=True, on_delete="SET NULL")
    if TYPE_CHECKING:
        change_id: int | None
        document_id: int | None
    title = peewee.TextField()
    body = peewee.TextField(default="")
    channel = peewee.TextField(default="none")  # native | tray | banner | none
    delivered = peewee.BooleanField(default=False)
    detail = peewee.TextField(default="")


class Setting(BaseModel):
    key = peewee.TextField(primary_key=True)
    value = JSONField()


ALL_MODELS: tuple[type[BaseModel], ...] = (
    SchemaVersion, Platform, Document, Chunk, Snapshot, Version, Check, Change, Alert, Setting,
)
