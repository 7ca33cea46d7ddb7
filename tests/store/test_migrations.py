"""The migration mechanism: numbered, idempotent, atomic, backed up first, and what each
migration does to rows written by older versions. (That every saved database of a past schema
opens with its data intact is tests/store/test_upgrade.py, through the command line.)"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.paths import SAVED_DBS
from watcher_app.store import migrations
from watcher_app.store.db import DB_FILENAME, open_database
from watcher_app.store.models import Setting, Version

SAVED = SAVED_DBS


def test_migrations_are_idempotent(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None)
    assert migrations.migrate(conn) == [m.version for m in migrations.MIGRATIONS]
    assert migrations.migrate(conn) == []
    rows = conn.execute("SELECT version FROM schema_version").fetchall()
    assert rows == [(m.version,) for m in migrations.MIGRATIONS]


def test_upgrade_backs_up_first_and_keeps_data(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(SAVED[-1], tmp_path / DB_FILENAME)
    future = migrations.Migration(
        migrations.LATEST + 1, "test: a note column",
        lambda conn: conn.execute("ALTER TABLE change ADD COLUMN note TEXT"))
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, future))
    monkeypatch.setattr(migrations, "LATEST", future.version)
    db = open_database(tmp_path)
    backups = list(tmp_path.glob("watcher.schema*.sqlite3"))
    assert len(backups) == 1
    assert Version.select().count() == 2
    columns = [row[1] for row in db.execute_sql("PRAGMA table_info(change)").fetchall()]
    assert "note" in columns
    db.close()


def test_failed_migration_leaves_the_old_schema(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(SAVED[-1], tmp_path / DB_FILENAME)

    def broken(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE change ADD COLUMN half TEXT")
        raise RuntimeError("power cut")

    bad = migrations.Migration(migrations.LATEST + 1, "broken", broken)
    monkeypatch.setattr(migrations, "MIGRATIONS", (*migrations.MIGRATIONS, bad))
    monkeypatch.setattr(migrations, "LATEST", bad.version)
    with pytest.raises(RuntimeError):
        open_database(tmp_path)
    with sqlite3.connect(tmp_path / DB_FILENAME) as conn:
        assert migrations.current_version(conn) == bad.version - 1
        columns = [row[1] for row in conn.execute("PRAGMA table_info(change)")]
        assert "half" not in columns


def test_newer_database_is_refused(tmp_path: Path) -> None:
    shutil.copy(SAVED[-1], tmp_path / DB_FILENAME)
    with sqlite3.connect(tmp_path / DB_FILENAME) as conn:
        conn.execute("INSERT INTO schema_version VALUES (99, 'future', datetime('now'))")
    with pytest.raises(RuntimeError, match="newer than this app"):
        open_database(tmp_path)


def test_schema_3_types_the_outcomes_of_older_checks(tmp_path: Path) -> None:
    """Rows written before outcomes were typed get an outcome and a code from their reason,
    once, in the migration: nothing after it ever reads a reason to decide."""
    path = tmp_path / DB_FILENAME
    shutil.copy(next(p for p in SAVED if p.stem == "schema-2"), path)
    legacy = [
        ("unchanged", "verified"),
        ("unchanged", "flap: the text is back to version 3 of 2026-01-02 10:00 (no alert)"),
        ("unchanged", "unconfirmed change: a second fetch disagreed (its text differs again)"),
        ("unchanged", "only punctuation or layout changed"),
        ("unchanged", "only noise: a table of contents"),
        ("error", "timeout: no answer within 20 s"),
        ("error", "http-503: the server answered HTTP 503"),
        ("error", "check hung for 300 s (watchdog)"),
        ("error", "internal error: ValueError: boom"),
        ("blocked", "needs attention: selector no longer matches (.article)"),
        ("blocked", "not found (soft 404): \u201cPage not found\u201d"),
        ("blocked", "bot challenge (Cloudflare): \u201cJust a moment...\u201d"),
        ("blocked", "the text stops early: its last 36 paragraphs are missing"),
    ]
    with sqlite3.connect(path) as conn:
        conn.execute('DELETE FROM "check"')
        conn.executemany(
            'INSERT INTO "check" (document_id, started_at, duration_s, outcome, reason) '
            "VALUES (1, datetime('now'), 0, ?, ?)", legacy)
        conn.execute("UPDATE document SET last_outcome = 'blocked'")
    db = open_database(tmp_path)
    rows = db.execute_sql('SELECT outcome, code FROM "check" ORDER BY id').fetchall()
    assert rows == [
        ("verified", "same-text"), ("flap", "flap"), ("unconfirmed", "second-fetch-disagreed"),
        ("noise", "layout-only"), ("noise", "noise"), ("error", "timeout"),
        ("error", "http-503"), ("error", "hung"), ("error", "internal-error"),
        ("blocked", "selector-miss"), ("blocked", "soft-404"), ("blocked", "bot-challenge"),
        ("blocked", "truncated"),
    ]
    last = db.execute_sql("SELECT last_outcome, last_code FROM document").fetchone()
    assert last == ("blocked", "truncated")  # the newest check row (same time: highest id)
    db.close()


def test_schema_3_gives_a_document_interval_one_home(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    shutil.copy(next(p for p in SAVED if p.stem == "schema-2"), path)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO setting VALUES ('per_document_interval', '{\"1\": 7200}')")
        conn.execute("INSERT INTO setting VALUES ('start_minimised', 'false')")
    db = open_database(tmp_path)
    assert db.execute_sql("SELECT check_interval_s FROM document WHERE id = 1").fetchone() == (
        7200,)
    keys = {k for (k,) in db.execute_sql("SELECT key FROM setting").fetchall()}
    assert "per_document_interval" not in keys and "start_minimised" not in keys
    assert Setting.get_by_id("start_minimized").value is False
    db.close()


def test_schema_3_drops_secret_response_headers_from_old_snapshots(tmp_path: Path) -> None:
    path = tmp_path / DB_FILENAME
    shutil.copy(next(p for p in SAVED if p.stem == "schema-2"), path)
    with sqlite3.connect(path) as conn:
        headers = {"Set-Cookie": "sid=secret", "ETag": '"v1"', "content-type": "text/html"}
        conn.execute("UPDATE snapshot SET headers = ?", (json.dumps(headers),))
        assert conn.execute("SELECT COUNT(*) FROM snapshot").fetchone()[0] > 0
    db = open_database(tmp_path)
    for (headers,) in db.execute_sql("SELECT headers FROM snapshot").fetchall():
        assert "secret" not in headers and "set-cookie" not in headers.lower()
        assert json.loads(headers) == {"etag": '"v1"', "content-type": "text/html"}
    db.close()
