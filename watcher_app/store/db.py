"""Opening the database: WAL, foreign keys, busy timeout, migrations with a backup first.

Also what happens around it: a damaged file is recognised and named (never modified; the app
can set it aside and start again from a backup or afresh), and the data folder and its files
are readable by their owner only (they hold pages read behind a login)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
import stat
import sys
from pathlib import Path
from typing import Any

import peewee

from watcher_app.store import migrations
from watcher_app.store.models import database_proxy

DB_FILENAME = "watcher.sqlite3"
SQLITE_MAGIC = b"SQLite format 3\x00"
PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600

# WAL lets the GUI read while a background check writes; synchronous=NORMAL is crash-consistent
# in WAL mode (a crash can only lose the last commit, never corrupt); busy_timeout makes a second
# process (the CLI while the app runs) wait for the lock instead of failing at once.
PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 15000,
    "synchronous": "normal",
}


# --- permissions ------------------------------------------------------------------------------


def _posix() -> bool:
    return os.name == "posix" and sys.platform != "win32"


def make_private(path: Path, mode: int = PRIVATE_FILE) -> None:
    """Owner-only permissions on a file or folder we own (POSIX; a no-op elsewhere)."""
    if not _posix():
        return
    with contextlib.suppress(OSError):
        info = path.stat()
        if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) != mode:
            path.chmod(mode)


def create_private(path: Path) -> None:
    """Create an empty file readable by its owner only, unless it exists (SQLite then gives
    the -wal and -shm files next to a database the same permissions)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))


def _only_ours(folder: Path) -> bool:
    """A folder holding nothing but this app's files (and not a shared, sticky one)."""
    try:
        if folder.stat().st_mode & stat.S_ISVTX:
            return False
        return all(child.name.startswith("watcher") for child in folder.iterdir())
    except OSError:
        return False


def secure_data_folder(folder: Path) -> None:
    """The folder 0700 and the database, its WAL files and its backups 0600 (on creation and
    when an older release left them readable by everyone)."""
    if not _posix():
        return
    if _only_ours(folder):  # a --data-dir of ~ or /tmp is not ours to lock
        make_private(folder, PRIVATE_DIR)
    for child in folder.glob("watcher*.sqlite3*"):
        if child.is_file() and not child.is_symlink():
            make_private(child)


# --- damage -----------------------------------------------------------------------------------


class StoreError(Exception):
    """The database cannot be used; ``str()`` is a one-line message for the user."""


class DatabaseUnusable(StoreError):
    """Not damaged, but not usable either (a folder in its place, no permission, a newer
    schema than this release knows)."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(str(path), detail)
        self.path, self.detail = Path(path), detail

    def __str__(self) -> str:
        return f"cannot use the database {self.path}: {self.detail}"


class DatabaseTooNew(DatabaseUnusable, RuntimeError):
    """Written by a newer release (a RuntimeError too, as migrations.migrate raises it)."""


class DatabaseCorrupt(StoreError):
    """The database file is damaged; the message names it and the backups next to it."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(str(path), detail)
        self.path, self.detail = Path(path), detail

    def __str__(self) -> str:
        backups = list_backups(self.path)
        if backups:
            where = ("Backups made before upgrades, newest first: "
                     + ", ".join(str(b) for b in backups)
                     + ". To go back to one, move the damaged file aside and copy a backup to "
                     f"{self.path.name}; to start afresh, move the damaged file aside.")
        else:
            where = ("There is no backup made before an upgrade next to it: move the damaged "
                     "file aside to start a fresh database.")
        return (f"the database {self.path} is damaged ({self.detail}); nothing was changed in "
                f"it. {where} The desktop app offers both.")


_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_CORRUPT_WORDS = ("malformed", "not a database", "disk image", "corrupt", "file is encrypted")


def is_corruption(exc: BaseException) -> bool:
    """Whether an exception (sqlite3's or peewee's wrapper of it) says the file is damaged."""
    for candidate in (exc, *(exc.args[:1] if exc.args else ()), exc.__cause__):
        if isinstance(candidate, sqlite3.DatabaseError):
            code = getattr(candidate, "sqlite_errorcode", None)
            if code is not None and code & 0xFF in _CORRUPT_CODES:
                return True
    if not isinstance(exc, sqlite3.DatabaseError | peewee.DatabaseError):
        return False
    text = str(exc).lower()
    return any(word in text for word in _CORRUPT_WORDS)


def list_backups(path: Path) -> list[Path]:
    """The backups made before migrations (watcher.schema<N>-<date>.sqlite3), newest first."""
    found = path.parent.glob(f"{path.stem}.schema*{path.suffix}")
    return sorted((p for p in found if p.is_file()), key=lambda p: p.stat().st_mtime,
                  reverse=True)


def _header_problem(path: Path) -> str | None:
    """A damage visible without SQLite: not a database at all, or cut short. (The size check
    only runs when no other process has the file open, i.e. there is no -wal file: a
    checkpoint in progress writes page 1 before the file grows.)"""
    try:
        size = path.stat().st_size
        if size == 0:
            return None  # a new, empty database
        with path.open("rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    if len(head) < 100 or not head.startswith(SQLITE_MAGIC):
        return "it is not a SQLite database"
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(head[28:32], "big")
    counter_valid = head[24:28] == head[92:96]
    wal = path.with_name(path.name + "-wal")
    if counter_valid and pages and not wal.exists() and size < pages * page_size:
        return f"the file is cut short: {size:,} of {pages * page_size:,} bytes"
    return None


def check_file(path: Path) -> None:
    """Raise DatabaseCorrupt when the file is visibly damaged (cheap: reads 100 bytes)."""
    if path.exists() and not path.is_file():
        raise DatabaseUnusable(path, "it is a folder or a device, not a database file")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise DatabaseUnusable(path, "no permission to read and write it")
    problem = _header_problem(path)
    if problem:
        raise DatabaseCorrupt(path, problem)


def set_aside(path: Path) -> Path:
    """Rename a damaged database (and its -wal/-shm files) out of the way, never delete it:
    watcher.damaged-<date>.sqlite3. Returns the new name."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.stem}.damaged-{stamp}-{n}{path.suffix}")
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            extra.rename(target.with_name(target.name + suffix))
    path.rename(target)
    make_private(target)
    return target


def restore_backup(backup: Path, path: Path) -> None:
    """Copy a backup to the database's name (the backup itself stays as it is)."""
    if path.exists():
        raise FileExistsError(f"{path} exists: set it aside first")
    create_private(path)
    shutil.copyfile(backup, path)
    make_private(path)


# --- opening ----------------------------------------------------------------------------------


def backup_database(path: Path, label: str) -> Path:
    """A consistent copy through SQLite's online backup API (safe while others read)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.{label}-{stamp}{path.suffix}")
    create_private(target)
    try:
        with sqlite3.connect(path) as source, sqlite3.connect(target) as dest:
            source.backup(dest)
    except BaseException:
        with contextlib.suppress(OSError):
            target.unlink()  # a half backup must never pass for one
        raise
    return target


def prepare_schema(path: Path) -> list[int]:
    """Bring the file at `path` to the latest schema; back it up first when upgrading an
    existing database, so a failed upgrade never costs the user their history. A damaged
    file raises DatabaseCorrupt and is left exactly as it was."""
    check_file(path)
    conn = sqlite3.connect(path, isolation_level=None, timeout=15)
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA journal_mode=WAL")
        version = migrations.current_version(conn)
        if 0 < version < migrations.LATEST:
            # Never migrate (write into) a damaged file, nor back it up as if it were good.
            rows = conn.execute("PRAGMA quick_check").fetchall()
            if rows != [("ok",)]:
                raise DatabaseCorrupt(path, f"SQLite's check says: {rows[0][0]}")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            backup_database(path, f"schema{version}")
        if version > migrations.LATEST:
            raise DatabaseTooNew(path, f"its schema version {version} is newer than this app "
                                       f"understands ({migrations.LATEST}); install a newer "
                                       "Governance Watcher")
        return migrations.migrate(conn)
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        if is_corruption(exc) or isinstance(exc, UnicodeDecodeError):
            raise DatabaseCorrupt(path, _describe(exc)) from None
        raise
    finally:
        conn.close()


def open_database(folder: Path) -> peewee.SqliteDatabase:
    """Open (creating and migrating as needed) the database in `folder` and bind the models."""
    folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    path = folder / DB_FILENAME
    if not path.exists():
        try:
            create_private(path)
        except OSError as exc:
            raise DatabaseUnusable(path, exc.strerror or str(exc)) from None
    prepare_schema(path)
    secure_data_folder(folder)
    db = peewee.SqliteDatabase(str(path), pragmas=PRAGMAS, timeout=15, check_same_thread=False)
    try:
        db.connect(reuse_if_open=True)
    except peewee.DatabaseError as exc:
        if is_corruption(exc):
            raise DatabaseCorrupt(path, str(exc)) from None
        raise
    database_proxy.initialize(db)
    return db


def bound_path() -> Path | None:
    """The file of the database the models are bound to (None before open_database)."""
    db = database_proxy.obj
    return Path(db.database) if db is not None else None


def integrity_report(path: Path, pragma: str = "integrity_check(20)") -> list[str]:
    """SQLite's integrity check of the file, read-only: ["ok"] or what it found (at most 20
    lines), or why it could not run. Never raises."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=15)
    except Exception as exc:  # noqa: BLE001 - the report says why
        return [f"cannot open it: {exc}"]
    try:
        conn.text_factory = lambda raw: raw.decode("utf-8", "replace")
        rows = conn.execute(f"PRAGMA {pragma}").fetchall()
        return [line for row in rows for line in str(row[0]).splitlines() if line.strip()]
    except Exception as exc:  # noqa: BLE001 - a garbled schema fails in odd ways
        return [_describe(exc)]
    finally:
        conn.close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):  # SQLite quoting garbage from a damaged schema
        return "its schema is garbled"
    return str(exc).strip() or type(exc).__name__


def diagnose(path: Path, exc: BaseException) -> DatabaseCorrupt | None:
    """After an unexpected failure: DatabaseCorrupt when the file turns out to be damaged
    (the failure was its symptom), None when it is sound (the failure is something else)."""
    if not path.exists():
        return None
    problem = _header_problem(path)
    if problem is None:
        found = integrity_report(path, "quick_check(5)")
        if found == ["ok"]:
            return None
        problem = _describe(exc) if is_corruption(exc) else f"SQLite's check says: {found[0]}"
    return DatabaseCorrupt(path, problem)


def integrity_ok(db: peewee.SqliteDatabase) -> bool:
    # peewee's stubs leave Database.execute_sql unannotated (it returns the DB-API cursor)
    rows: list[tuple[Any, ...]] = db.execute_sql(  # type: ignore[no-untyped-call]
        "PRAGMA integrity_check").fetchall()
    return rows == [("ok",)]
