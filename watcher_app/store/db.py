"""Opening the database: WAL, foreign keys, busy timeout, migrations with a backup first."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import peewee

from watcher_app.store import migrations
from watcher_app.store.models import database_proxy

DB_FILENAME = "watcher.sqlite3"

# WAL lets the GUI read while a background check writes; synchronous=NORMAL is crash-consistent
# in WAL mode (a crash can only lose the last commit, never corrupt); busy_timeout makes a second
# process (the CLI while the app runs) wait for the lock instead of failing at once.
PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 15000,
    "synchronous": "normal",
}


def backup_database(path: Path, label: str) -> Path:
    """A consistent copy through SQLite's online backup API (safe while others read)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.{label}-{stamp}{path.suffix}")
    with sqlite3.connect(path) as source, sqlite3.connect(target) as dest:
        source.backup(dest)
    return target


def prepare_schema(path: Path) -> list[int]:
    """Bring the file at `path` to the latest schema; back it up first when upgrading an
    existing database, so a failed upgrade never costs the user their history."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=15)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA journal_mode=WAL")
        version = migrations.current_version(conn)
        if 0 < version < migrations.LATEST:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            backup_database(path, f"schema{version}")
        return migrations.migrate(conn)
    finally:
        conn.close()


def open_database(folder: Path) -> peewee.SqliteDatabase:
    """Open (creating and migrating as needed) the database in `folder` and bind the models."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DB_FILENAME
    prepare_schema(path)
    db = peewee.SqliteDatabase(str(path), pragmas=PRAGMAS, timeout=15, check_same_thread=False)
    db.connect(reuse_if_open=True)
    database_proxy.initialize(db)
    return db


def integrity_ok(db: peewee.SqliteDatabase) -> bool:
    rows = db.execute_sql("PRAGMA integrity_check").fetchall()
    return rows == [("ok",)]
