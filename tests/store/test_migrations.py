"""Schema migrations: numbered, idempotent, tested against a saved database of every version."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.paths import SAVED_DBS
from watcher_app.store import migrations
from watcher_app.store.db import DB_FILENAME, open_database
from watcher_app.store.models import Change, Setting, Version

SAVED = SAVED_DBS


def test_a_saved_database_exists_for_every_schema_version() -> None:
    versions = {int(p.stem.split("-")[1]) for p in SAVED}
    assert versions == {m.version for m in migrations.MIGRATIONS}


@pytest.mark.parametrize("saved", SAVED, ids=lambda p: p.stem)
def test_saved_database_opens_with_its_data(saved: Path, tmp_path: Path) -> None:
    shutil.copy(saved, tmp_path / DB_FILENAME)
    db = open_database(tmp_path)
    assert Version.select().count() == 2
    change = Change.get()
    assert change.severity == "medium" and change.categories == ["data-collection"]
    assert Setting.get_by_id("check_interval_s").value == 3600
    assert db.execute_sql("PRAGMA integrity_check").fetchone() == ("ok",)
    with sqlite3.connect(tmp_path / DB_FILENAME) as conn:
        assert migrations.current_version(conn) == migrations.LATEST
    db.close()


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
