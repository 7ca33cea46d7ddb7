"""Numbered, idempotent schema migrations.

Each migration is frozen SQL (never generated from the current models, which move on), applied in
one transaction together with its `schema_version` row, so a crash leaves either the old or the
new schema. Applying them again is a no-op. A saved database of every schema version lives in
tests/fixtures/db/ and the migration tests upgrade each of them.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from watcher_app.store import content


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[sqlite3.Connection], None]
    # Rebuilding a table that others reference needs foreign keys off while it runs (else
    # dropping the old table would cascade); they are checked before the commit instead.
    rebuilds_tables: bool = False


def _run(statements: tuple[str, ...]) -> Callable[[sqlite3.Connection], None]:
    def apply(conn: sqlite3.Connection) -> None:
        for statement in statements:
            conn.execute(statement)

    return apply


# Version 1: the initial schema.
_V1 = (
    'CREATE TABLE IF NOT EXISTS "schema_version" ("version" INTEGER NOT NULL PRIMARY KEY, "name" TEXT NOT NULL, "applied_at" DATETIME NOT NULL)',
    'CREATE TABLE IF NOT EXISTS "platform" ("id" TEXT NOT NULL PRIMARY KEY, "name" TEXT NOT NULL, "origin" TEXT NOT NULL, "declaration" TEXT NOT NULL, "watched" INTEGER NOT NULL, "added_at" DATETIME NOT NULL)',
    'CREATE INDEX IF NOT EXISTS "platform_watched" ON "platform" ("watched")',
    'CREATE TABLE IF NOT EXISTS "document" ("id" INTEGER NOT NULL PRIMARY KEY, "platform_id" TEXT NOT NULL, "type" TEXT NOT NULL, "sources" TEXT NOT NULL, "active" INTEGER NOT NULL, "check_interval_s" INTEGER, "created_at" DATETIME NOT NULL, "last_check_at" DATETIME, "last_outcome" TEXT, "last_reason" TEXT, "consecutive_failures" INTEGER NOT NULL, FOREIGN KEY ("platform_id") REFERENCES "platform" ("id") ON DELETE CASCADE)',
    'CREATE INDEX IF NOT EXISTS "document_platform_id" ON "document" ("platform_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "document_platform_id_type" ON "document" ("platform_id", "type")',
    'CREATE TABLE IF NOT EXISTS "snapshot" ("id" INTEGER NOT NULL PRIMARY KEY, "document_id" INTEGER NOT NULL, "source_index" INTEGER NOT NULL, "url" TEXT NOT NULL, "fetched_at" DATETIME NOT NULL, "http_status" INTEGER NOT NULL, "headers" TEXT NOT NULL, "content_type" TEXT NOT NULL, "sha256" TEXT NOT NULL, "size" INTEGER NOT NULL, "raw" BLOB NOT NULL, FOREIGN KEY ("document_id") REFERENCES "document" ("id") ON DELETE CASCADE)',
    'CREATE INDEX IF NOT EXISTS "snapshot_document_id" ON "snapshot" ("document_id")',
    'CREATE INDEX IF NOT EXISTS "snapshot_fetched_at" ON "snapshot" ("fetched_at")',
    'CREATE INDEX IF NOT EXISTS "snapshot_sha256" ON "snapshot" ("sha256")',
    'CREATE TABLE IF NOT EXISTS "version" ("id" INTEGER NOT NULL PRIMARY KEY, "document_id" INTEGER NOT NULL, "text" TEXT NOT NULL, "sha256" TEXT NOT NULL, "key_sha256" TEXT NOT NULL, "links" TEXT NOT NULL, "snapshots" TEXT NOT NULL, "extractor_version" INTEGER NOT NULL, "kind" TEXT NOT NULL, "first_seen" DATETIME NOT NULL, "last_verified" DATETIME NOT NULL, "current" INTEGER NOT NULL, FOREIGN KEY ("document_id") REFERENCES "document" ("id") ON DELETE CASCADE)',
    'CREATE INDEX IF NOT EXISTS "version_document_id" ON "version" ("document_id")',
    'CREATE INDEX IF NOT EXISTS "version_sha256" ON "version" ("sha256")',
    'CREATE INDEX IF NOT EXISTS "version_first_seen" ON "version" ("first_seen")',
    'CREATE INDEX IF NOT EXISTS "version_current" ON "version" ("current")',
    'CREATE TABLE IF NOT EXISTS "check" ("id" INTEGER NOT NULL PRIMARY KEY, "document_id" INTEGER NOT NULL, "started_at" DATETIME NOT NULL, "duration_s" REAL NOT NULL, "outcome" TEXT NOT NULL, "reason" TEXT NOT NULL, "http_status" INTEGER, "raw_sha256" TEXT, "version_id" INTEGER, FOREIGN KEY ("document_id") REFERENCES "document" ("id") ON DELETE CASCADE, FOREIGN KEY ("version_id") REFERENCES "version" ("id") ON DELETE SET NULL)',
    'CREATE INDEX IF NOT EXISTS "check_document_id" ON "check" ("document_id")',
    'CREATE INDEX IF NOT EXISTS "check_started_at" ON "check" ("started_at")',
    'CREATE INDEX IF NOT EXISTS "check_outcome" ON "check" ("outcome")',
    'CREATE INDEX IF NOT EXISTS "check_version_id" ON "check" ("version_id")',
    'CREATE TABLE IF NOT EXISTS "change" ("id" INTEGER NOT NULL PRIMARY KEY, "document_id" INTEGER NOT NULL, "from_version_id" INTEGER NOT NULL, "to_version_id" INTEGER NOT NULL, "detected_at" DATETIME NOT NULL, "stats" TEXT NOT NULL, "severity" TEXT, "categories" TEXT NOT NULL, "summary" TEXT, "effective_date" TEXT, "analysis" TEXT, "read" INTEGER NOT NULL, "notified" INTEGER NOT NULL, FOREIGN KEY ("document_id") REFERENCES "document" ("id") ON DELETE CASCADE, FOREIGN KEY ("from_version_id") REFERENCES "version" ("id") ON DELETE CASCADE, FOREIGN KEY ("to_version_id") REFERENCES "version" ("id") ON DELETE CASCADE)',
    'CREATE INDEX IF NOT EXISTS "change_document_id" ON "change" ("document_id")',
    'CREATE INDEX IF NOT EXISTS "change_from_version_id" ON "change" ("from_version_id")',
    'CREATE INDEX IF NOT EXISTS "change_to_version_id" ON "change" ("to_version_id")',
    'CREATE INDEX IF NOT EXISTS "change_detected_at" ON "change" ("detected_at")',
    'CREATE INDEX IF NOT EXISTS "change_read" ON "change" ("read")',
    'CREATE TABLE IF NOT EXISTS "alert" ("id" INTEGER NOT NULL PRIMARY KEY, "created_at" DATETIME NOT NULL, "kind" TEXT NOT NULL, "change_id" INTEGER, "document_id" INTEGER, "title" TEXT NOT NULL, "body" TEXT NOT NULL, "channel" TEXT NOT NULL, "delivered" INTEGER NOT NULL, "detail" TEXT NOT NULL, FOREIGN KEY ("change_id") REFERENCES "change" ("id") ON DELETE SET NULL, FOREIGN KEY ("document_id") REFERENCES "document" ("id") ON DELETE SET NULL)',
    'CREATE INDEX IF NOT EXISTS "alert_created_at" ON "alert" ("created_at")',
    'CREATE INDEX IF NOT EXISTS "alert_change_id" ON "alert" ("change_id")',
    'CREATE INDEX IF NOT EXISTS "alert_document_id" ON "alert" ("document_id")',
    'CREATE TABLE IF NOT EXISTS "setting" ("key" TEXT NOT NULL PRIMARY KEY, "value" TEXT NOT NULL)',
)

# Version 2: honour a server's Retry-After across checks and restarts.
_V2 = ('ALTER TABLE "document" ADD COLUMN "retry_not_before" DATETIME',)

# Version 3: typed outcomes. A check's outcome says what happened in one word of a fixed
# vocabulary (watcher_app/outcomes.py) with a machine-readable code beside the human reason;
# "unchanged" splits into verified / noise / flap / unconfirmed. Rows written by earlier versions
# get their outcome and code from their reason, once, here (the only place that ever reads a
# reason to decide anything). Also: where an imported version came from, the user's own
# correction of a change's analysis, and a per-document lease so two processes never check
# (and alert) the same document at once.
_CODE_FROM_REASON = """CASE
    WHEN outcome = 'first' THEN 'first-version'
    WHEN outcome = 'changed' THEN 'confirmed-change'
    WHEN outcome = 'upgrade' THEN 'extractor-upgrade'
    WHEN outcome = 'verified' THEN 'same-text'
    WHEN outcome = 'flap' THEN 'flap'
    WHEN outcome = 'unconfirmed' THEN 'second-fetch-disagreed'
    WHEN outcome = 'noise' AND reason = 'only punctuation or layout changed' THEN 'layout-only'
    WHEN outcome = 'noise' THEN 'noise'
    WHEN reason LIKE 'bot challenge%' THEN 'bot-challenge'
    WHEN reason LIKE 'captcha%' THEN 'captcha'
    WHEN reason LIKE 'access denied%' THEN 'access-denied'
    WHEN reason LIKE 'client-side error page%' THEN 'client-error-page'
    WHEN reason LIKE 'not found (soft 404)%' THEN 'soft-404'
    WHEN reason LIKE 'server error page%' THEN 'server-error-page'
    WHEN reason LIKE 'empty app shell%' THEN 'app-shell'
    WHEN reason LIKE 'login wall%' THEN 'login-wall'
    WHEN reason LIKE 'not available in this region%' THEN 'region-wall'
    WHEN reason LIKE 'redirected to a login page%' THEN 'login-redirect'
    WHEN reason LIKE 'needs attention: selector%' THEN 'selector-miss'
    WHEN reason LIKE 'the PDF has no text layer%' THEN 'no-text-layer'
    WHEN reason LIKE 'too little text%' THEN 'too-little-text'
    WHEN reason LIKE 'the text stops early%' THEN 'truncated'
    WHEN reason LIKE 'the text collapsed%' THEN 'collapsed-unconfirmed'
    WHEN reason LIKE 'unreadable PDF%' THEN 'unreadable'
    WHEN reason LIKE 'internal error%' THEN 'internal-error'
    WHEN reason LIKE 'check hung%' THEN 'hung'
    WHEN reason LIKE 'check did not finish%' THEN 'hung'
    WHEN outcome = 'error' AND instr(reason, ':') > 1 THEN substr(reason, 1, instr(reason, ':') - 1)
    WHEN outcome = 'error' THEN 'error'
    WHEN outcome = 'blocked' THEN 'not-the-policy'
    ELSE '' END"""
_OUTCOME_FROM_REASON = """CASE
    WHEN outcome <> 'unchanged' THEN outcome
    WHEN reason LIKE 'verified%' THEN 'verified'
    WHEN reason LIKE 'flap%' THEN 'flap'
    WHEN reason LIKE 'unconfirmed%' THEN 'unconfirmed'
    ELSE 'noise' END"""
_KEPT = ", ".join(f"'{h}'" for h in (
    "content-type", "content-length", "content-encoding", "content-language",
    "content-disposition", "date", "last-modified", "etag", "expires", "cache-control", "age",
    "vary", "retry-after", "server", "x-governance-watcher-rendered-by"))  # frozen: never import
_V3 = (
    'ALTER TABLE "check" ADD COLUMN "code" TEXT NOT NULL DEFAULT \'\'',
    'ALTER TABLE "check" ADD COLUMN "detail" TEXT',
    f'UPDATE "check" SET outcome = {_OUTCOME_FROM_REASON}',
    f'UPDATE "check" SET code = {_CODE_FROM_REASON}',
    'ALTER TABLE "document" ADD COLUMN "last_code" TEXT',
    'ALTER TABLE "document" ADD COLUMN "lease_until" DATETIME',
    'ALTER TABLE "document" ADD COLUMN "lease_owner" TEXT',
    'UPDATE "document" SET last_outcome = (SELECT c.outcome FROM "check" c WHERE c.document_id = "document".id ORDER BY c.started_at DESC, c.id DESC LIMIT 1), last_code = (SELECT c.code FROM "check" c WHERE c.document_id = "document".id ORDER BY c.started_at DESC, c.id DESC LIMIT 1) WHERE last_outcome IS NOT NULL',
    'ALTER TABLE "version" ADD COLUMN "origin" TEXT NOT NULL DEFAULT \'live\'',
    'ALTER TABLE "version" ADD COLUMN "provenance" TEXT',
    'ALTER TABLE "change" ADD COLUMN "user_severity" TEXT',
    'ALTER TABLE "change" ADD COLUMN "user_categories" TEXT',
    'ALTER TABLE "change" ADD COLUMN "user_note" TEXT',
    'ALTER TABLE "change" ADD COLUMN "corrected_at" DATETIME',
    # one spelling for settings keys (as in --minimized)
    "UPDATE setting SET key = 'start_minimized' WHERE key = 'start_minimised' AND NOT EXISTS (SELECT 1 FROM setting WHERE key = 'start_minimized')",
    "DELETE FROM setting WHERE key = 'start_minimised'",
    # a document's own interval has one home, the document row (the setting mirrored it)
    """UPDATE document SET check_interval_s = (SELECT CAST(json_extract(s.value, '$."' || document.id || '"') AS INTEGER) FROM setting s WHERE s.key = 'per_document_interval') WHERE check_interval_s IS NULL AND EXISTS (SELECT 1 FROM setting s WHERE s.key = 'per_document_interval' AND json_extract(s.value, '$."' || document.id || '"') IS NOT NULL)""",
    "DELETE FROM setting WHERE key = 'per_document_interval'",
    # response headers that carry secrets (Set-Cookie…) are no longer kept with a snapshot:
    # older rows keep only the headers a snapshot is evidence of (fetch.KEPT_HEADERS as of now)
    f"""UPDATE "snapshot" SET "headers" = (SELECT json_group_object(lower(key), value) FROM json_each("snapshot"."headers") WHERE lower(key) IN ({_KEPT})) WHERE EXISTS (SELECT 1 FROM json_each("snapshot"."headers") WHERE lower(key) NOT IN ({_KEPT}))""",
)

# Version 4: a small store (issue 14). Version texts and snapshot bytes move into `chunk`, cut
# at content-defined boundaries, zlib-compressed, each piece stored once (store/content.py: any
# cutting reads back the same, so what this migration cut stays readable whatever the cutting
# rule becomes); `version` keeps its metadata and text size first and a chunk list, so listing
# versions never reads a text. Runs of identical "verified" checks of a document become one row
# with a count and the first and last time; failures and changes keep their own rows.
_V4_TABLES = (
    'CREATE TABLE IF NOT EXISTS "chunk" ("id" INTEGER NOT NULL PRIMARY KEY, "sha" BLOB NOT NULL, "size" INTEGER NOT NULL, "data" BLOB NOT NULL)',
    'CREATE UNIQUE INDEX IF NOT EXISTS "chunk_sha" ON "chunk" ("sha")',
    'CREATE TABLE "version_v4" ("id" INTEGER NOT NULL PRIMARY KEY, "document_id" INTEGER NOT NULL, "kind" TEXT NOT NULL, "first_seen" DATETIME NOT NULL, "last_verified" DATETIME NOT NULL, "current" INTEGER NOT NULL, "origin" TEXT NOT NULL, "extractor_version" INTEGER NOT NULL, "sha256" TEXT NOT NULL, "key_sha256" TEXT NOT NULL, "size" INTEGER NOT NULL, "raw_sha256" TEXT, "text_chunks" BLOB NOT NULL, "links" TEXT NOT NULL, "snapshots" TEXT NOT NULL, "provenance" TEXT, FOREIGN KEY ("document_id") REFERENCES "document" ("id") ON DELETE CASCADE)',
    'CREATE TABLE "snapshot_v4" ("id" INTEGER NOT NULL PRIMARY KEY, "document_id" INTEGER NOT NULL, "source_index" INTEGER NOT NULL, "url" TEXT NOT NULL, "fetched_at" DATETIME NOT NULL, "http_status" INTEGER NOT NULL, "headers" TEXT NOT NULL, "content_type" TEXT NOT NULL, "sha256" TEXT NOT NULL, "size" INTEGER NOT NULL, "raw_chunks" BLOB NOT NULL, FOREIGN KEY ("document_id") REFERENCES "document" ("id") ON DELETE CASCADE)',
)
_V4_SWAP = (
    'DROP TABLE "version"',
    'ALTER TABLE "version_v4" RENAME TO "version"',
    'CREATE INDEX IF NOT EXISTS "version_document_id" ON "version" ("document_id")',
    'CREATE INDEX IF NOT EXISTS "version_sha256" ON "version" ("sha256")',
    'CREATE INDEX IF NOT EXISTS "version_first_seen" ON "version" ("first_seen")',
    'CREATE INDEX IF NOT EXISTS "version_current" ON "version" ("current")',
    'DROP TABLE "snapshot"',
    'ALTER TABLE "snapshot_v4" RENAME TO "snapshot"',
    'CREATE INDEX IF NOT EXISTS "snapshot_document_id" ON "snapshot" ("document_id")',
    'CREATE INDEX IF NOT EXISTS "snapshot_fetched_at" ON "snapshot" ("fetched_at")',
    'CREATE INDEX IF NOT EXISTS "snapshot_sha256" ON "snapshot" ("sha256")',
    'ALTER TABLE "check" ADD COLUMN "repeats" INTEGER NOT NULL DEFAULT 1',
    'ALTER TABLE "check" ADD COLUMN "first_started_at" DATETIME',
)


def _v4(conn: sqlite3.Connection) -> None:
    for statement in _V4_TABLES:
        conn.execute(statement)
    rows = conn.execute(
        'SELECT id, document_id, kind, first_seen, last_verified, current, origin, '
        'extractor_version, sha256, key_sha256, text, links, snapshots, provenance '
        'FROM "version" ORDER BY id')
    for row in rows.fetchall():
        text: str = row[10]
        packed = content.store(conn.execute, content.Prepared(text.encode("utf-8"),
                                                              content.TEXT))
        conn.execute('INSERT INTO "version_v4" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)',
                     (*row[:10], len(text), None, packed, *row[11:]))
    rows = conn.execute(
        'SELECT id, document_id, source_index, url, fetched_at, http_status, headers, '
        'content_type, sha256, size, raw FROM "snapshot" ORDER BY id')
    for row in rows.fetchall():
        try:
            raw = zlib.decompress(row[10])
        except zlib.error:
            # Kept as it is, so that `verify` still reports this snapshot as corrupt.
            raw = bytes(row[10])
        packed = content.store(conn.execute, content.Prepared(raw, content.RAW))
        conn.execute('INSERT INTO "snapshot_v4" VALUES (?,?,?,?,?,?,?,?,?,?,?)',
                     (*row[:10], packed))
    for statement in _V4_SWAP:
        conn.execute(statement)
    _collapse_verified_runs(conn)


def _collapse_verified_runs(conn: sqlite3.Connection) -> None:
    """Each document's consecutive "verified" checks of the same version, code and detail
    become their latest row, with the count and the time of the first."""
    rows = conn.execute(
        'SELECT id, document_id, started_at, outcome, code, version_id, detail FROM "check" '
        "ORDER BY document_id, started_at, id").fetchall()
    run: list[tuple[Any, ...]] = []

    def close_run() -> None:
        if len(run) > 1:
            keep = run[-1][0]
            conn.executemany('DELETE FROM "check" WHERE id = ?', [(r[0],) for r in run[:-1]])
            conn.execute('UPDATE "check" SET repeats = ?, first_started_at = ? WHERE id = ?',
                         (len(run), run[0][2], keep))
        run.clear()

    for row in rows:
        same = (row[3] == "verified" and run and run[-1][1] == row[1]
                and run[-1][4:] == row[4:])
        if not same:
            close_run()
        if row[3] == "verified":
            run.append(row)
    close_run()


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _run(_V1)),
    Migration(2, "document.retry_not_before (Retry-After)", _run(_V2)),
    Migration(3, "typed check outcomes and codes; version origin; user corrections; leases",
              _run(_V3)),
    Migration(4, "a small store: chunked, compressed, deduplicated texts and snapshots; "
              "runs of verified checks in one row", _v4, rebuilds_tables=True),
)

LATEST = MIGRATIONS[-1].version


def current_version(conn: sqlite3.Connection) -> int:
    """0 for an empty database; otherwise the highest applied migration."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def pending(conn: sqlite3.Connection) -> list[Migration]:
    done = current_version(conn)
    return [m for m in MIGRATIONS if m.version > done]


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply every pending migration, each atomically; returns the versions applied."""
    done = current_version(conn)
    if done > LATEST:
        raise RuntimeError(
            f"this database has schema version {done}, newer than this app understands "
            f"({LATEST}); install a newer Governance Watcher"
        )
    applied = []
    for migration in pending(conn):
        keys_on = conn.execute("PRAGMA foreign_keys").fetchone()[0]
        if migration.rebuilds_tables:
            conn.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: set first
        # BEGIN IMMEDIATE takes the write lock first, so two processes starting at once
        # cannot both apply the same migration.
        conn.execute("BEGIN IMMEDIATE")
        try:
            if current_version(conn) >= migration.version:
                conn.execute("ROLLBACK")
                continue
            migration.apply(conn)
            if migration.rebuilds_tables:
                broken = conn.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration {migration.version} broke references: "
                                       f"{broken[:3]}")
            conn.execute(
                "INSERT INTO schema_version (version, name, applied_at) "
                "VALUES (?, ?, datetime('now'))",
                (migration.version, migration.name),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.execute(f"PRAGMA foreign_keys={'ON' if keys_on else 'OFF'}")
        applied.append(migration.version)
    if any(m.rebuilds_tables for m in MIGRATIONS if m.version in applied):
        conn.execute("VACUUM")  # give the rebuilt tables' old pages back to the file system
    return applied
