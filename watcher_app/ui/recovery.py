"""A damaged database at start: say so, and offer a way on instead of dying.

The choices: open a backup made before an upgrade (watcher.schema<N>-<date>.sqlite3), or start
a fresh database. Either way the damaged file is renamed aside (watcher.damaged-<date>.sqlite3,
with its -wal and -shm files), never deleted or written to, so nothing is lost for good.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import peewee
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from watcher_app import APP_NAME
from watcher_app.store.db import (
    DB_FILENAME,
    DatabaseCorrupt,
    DatabaseUnusable,
    diagnose,
    integrity_report,
    is_corruption,
    list_backups,
    open_database,
    restore_backup,
    set_aside,
)
from watcher_app.ui import links

Choice = tuple[str, Path | None]  # ("backup", file) | ("fresh", None) | ("quit", None)


class RecoveryDialog(QMessageBox):
    """The question, as plain text (the detail may quote SQLite quoting the damaged bytes)."""

    def __init__(self, error: DatabaseCorrupt, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.error = error
        self.backups = list_backups(error.path)
        self.setIcon(QMessageBox.Icon.Critical)
        self.setWindowTitle(f"{APP_NAME}: the database is damaged")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(f"The database {error.path} is damaged ({error.detail}). Nothing has been "
                     "changed in it.")
        kept = f"{error.path.stem}.damaged-<date>{error.path.suffix}"
        self.setInformativeText(
            ("You can go back to a backup made before an upgrade, or start a fresh database. "
             if self.backups else "There is no backup made before an upgrade; you can start a "
             "fresh database. ")
            + f"Either way the damaged file is kept next to it, renamed {kept}.")
        self.backup_button = (self.addButton("Open a &backup\u2026",
                                             QMessageBox.ButtonRole.AcceptRole)
                              if self.backups else None)
        self.fresh_button = self.addButton("Start a &fresh database",
                                           QMessageBox.ButtonRole.DestructiveRole)
        self.quit_button = self.addButton("&Quit", QMessageBox.ButtonRole.RejectRole)
        self.setDefaultButton(self.backup_button or self.quit_button)
        self.setEscapeButton(self.quit_button)

    def choice(self) -> Choice:
        clicked = self.clickedButton()
        if clicked is self.fresh_button:
            return "fresh", None
        if clicked is not None and clicked is self.backup_button:
            return "backup", self.pick_backup()
        return "quit", None

    def pick_backup(self) -> Path | None:
        if len(self.backups) == 1:
            return self.backups[0]
        labels = [f"{b.name} ({dt.datetime.fromtimestamp(b.stat().st_mtime):%Y-%m-%d %H:%M})"
                  for b in self.backups]
        label, ok = QInputDialog.getItem(self, "Open a backup", "Backup (newest first):",
                                         labels, 0, False)
        return self.backups[labels.index(label)] if ok and label in labels else None


def ask_recovery(error: DatabaseCorrupt) -> Choice:
    dialog = RecoveryDialog(error)
    dialog.exec()
    return dialog.choice()


def _open_checked(folder: Path) -> peewee.SqliteDatabase:
    """open_database, plus SQLite's quick check (a tenth of a second for 300 MB): a damage
    deep inside the file is found at start, not by some view later on."""
    db = open_database(folder)
    path = Path(db.database)
    found = integrity_report(path, "quick_check(5)")
    if found != ["ok"]:
        db.close()
        raise DatabaseCorrupt(path, f"SQLite's check says: {found[0]}")
    return db


def open_or_recover(folder: Path, ask: Callable[[DatabaseCorrupt], Choice] = ask_recovery
                    ) -> peewee.SqliteDatabase | None:
    """The app's database, after the user's choice when it is damaged (None: they quit)."""
    while True:
        try:
            return _open_checked(folder)
        except DatabaseCorrupt as exc:
            error = exc
        except DatabaseUnusable as exc:  # not damaged: nothing to offer but the reason
            links.message(None, "critical", APP_NAME, f"{APP_NAME} cannot start: {exc}.")
            return None
        except peewee.DatabaseError as exc:
            found = diagnose(folder / DB_FILENAME, exc) if is_corruption(exc) else None
            if found is None:
                raise
            error = found
        kind, backup = ask(error)
        if kind == "quit":
            return None
        if kind == "backup" and backup is None:
            continue  # the list of backups was closed: ask again
        set_aside(error.path)
        if kind == "backup" and backup is not None:
            restore_backup(backup, error.path)
