"""The desktop side of catalogue updates from Open Terms Archive: "Update catalogue" in the
Watch menu, a "weekly" toggle (the `ota_weekly_update` setting), and the background timer.

The download and the validation run in the thread pool (`run_task`); only the settings
bookkeeping and the result message touch the GUI thread. One update at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QMessageBox

from watcher_app.ota.entries import catalog_entries
from watcher_app.ota.sync import UpdateResult, note_update, update_catalog, update_due
from watcher_app.ota.upgrade import Switched, upgrade_declarations
from watcher_app.settings import load_settings
from watcher_app.ui import commands, theme
from watcher_app.ui.runtime import run_task

TICK_MS = 60 * 60 * 1000  # is an update due? asked hourly; it runs weekly (ota/sync.py)
FIRST_TICK_MS = 2 * 60 * 1000  # not while the app is still starting


class CatalogUpdater(QObject):
    finished = Signal(object)  # list[UpdateResult]

    def __init__(self, window: QMainWindow, data_dir: Path, status: QLabel | None = None
                 ) -> None:
        super().__init__(window)
        self.window, self.data_dir, self.status = window, data_dir, status
        self.busy = False
        self._manual = False
        self.last_message = ""
        self.switched: list[Switched] = []  # filled by the update's thread, read when it ends
        self.update_action = QAction(theme.icon("refresh"), "Update &catalogue", window)
        self.update_action.setToolTip("Download Open Terms Archive's declarations now")
        self.update_action.triggered.connect(lambda: self.update_now(manual=True))
        self.weekly_action = QAction("Update catalogue &weekly", window)
        self.weekly_action.setCheckable(True)
        self.weekly_action.setChecked(load_settings().ota_weekly_update)
        self.weekly_action.toggled.connect(self.set_weekly)
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)

    # --- commands -----------------------------------------------------------------------------

    def update_now(self, *, manual: bool = True,
                   sources: Sequence[str] | None = None) -> bool:
        """Start an update in the background; False when one is running already."""
        if self.busy:
            self._say("The catalogue is being updated already.")
            return False
        self.busy, self._manual = True, manual
        self.update_action.setEnabled(False)
        chosen = list(sources) if sources is not None else list(load_settings().ota_sources)
        folder = self.data_dir
        self._say("Updating the catalogue from Open Terms Archive\u2026")
        db = getattr(self.window, "db", None)
        self.switched = []

        def work(report: Callable[[str], None]) -> list[UpdateResult]:
            results = update_catalog(folder, chosen, progress=report)
            if db is not None and any(r.status == "updated" for r in results):
                # watched documents whose OTA declaration was replaced follow it (no alert)
                self.switched = upgrade_declarations(db, folder)
            return results

        run_task(work, self._done, self._failed, self._say)
        return True

    def set_weekly(self, on: bool) -> None:
        settings = load_settings()
        if settings.ota_weekly_update != on:
            settings.ota_weekly_update = on
            commands.save_settings(settings)

    def start_weekly(self, first_tick_ms: int = FIRST_TICK_MS) -> None:
        """The background check (the app starts it; tests and the CLI never do). Also reads
        the synced archives once in the thread pool, so the picker opens without that wait."""
        QTimer.singleShot(first_tick_ms, self, self.tick)
        self.timer.start()
        folder = self.data_dir
        run_task(lambda _report: len(catalog_entries(folder)), self._warmed)

    def _warmed(self, count: int) -> None:
        """Nothing to do: the catalogue is in the reader's cache now."""

    def tick(self) -> None:
        if not self.busy and update_due(load_settings(), dt.datetime.now(dt.UTC)):
            self.update_now(manual=False)

    # --- results ------------------------------------------------------------------------------

    def _done(self, results: list[UpdateResult]) -> None:
        self.busy = False
        self.update_action.setEnabled(True)
        settings = load_settings()
        note_update(settings, results, dt.datetime.now(dt.UTC))
        commands.save_settings(settings)
        self.last_message = summary(results)
        if self.switched:
            self.last_message += "\n" + "\n".join(item.line() for item in self.switched)
        self._say(self.last_message.splitlines()[0])
        if self._manual:
            failed = any(not r.ok for r in results)
            box = QMessageBox(QMessageBox.Icon.Warning if failed else QMessageBox.Icon.Information,
                              "Catalogue update", self.last_message, parent=self.window)
            box.setTextFormat(Qt.TextFormat.PlainText)  # names come from third parties
            details = skipped_text(results)
            if details:
                box.setDetailedText(details)
            box.open()  # not exec(): the app keeps running meanwhile
        self.finished.emit(results)

    def _failed(self, message: str) -> None:
        self.busy = False
        self.update_action.setEnabled(True)
        self.last_message = f"The catalogue update failed: {message}"
        self._say(self.last_message)
        if self._manual:
            box = QMessageBox(QMessageBox.Icon.Warning, "Catalogue update", self.last_message,
                              parent=self.window)
            box.setTextFormat(Qt.TextFormat.PlainText)
            box.open()
        self.finished.emit([])

    def _say(self, text: str) -> None:
        if self.status is not None:
            self.status.setText(text)


def summary(results: Sequence[UpdateResult]) -> str:
    """First line for the status bar; one line per source after it."""
    updated = sum(r.status == "updated" for r in results)
    failed = sum(r.status == "failed" for r in results)
    services = sum(r.services for r in results if r.ok)
    skipped = sum(len(r.skipped) for r in results if r.ok)
    head = (f"Catalogue: {updated} collection{'s' if updated != 1 else ''} updated, "
            f"{len(results) - updated - failed} unchanged, {failed} failed; "
            f"{services} OTA services, {skipped} declarations skipped.")
    return "\n".join([head, *(r.line() for r in results)])


def skipped_text(results: Sequence[UpdateResult]) -> str:
    return "\n".join(f"{r.collection}: {s.file.split('/')[-1]}: {s.reason}"
                     for r in results if r.ok for s in r.skipped)


def install_catalog_update(window: QMainWindow, data_dir: Path,
                           status: QLabel | None = None,
                           menu: QMenu | None = None) -> CatalogUpdater:
    """Add the two actions to the window's Watch menu (`menu`, after "Platforms…")."""
    updater = CatalogUpdater(window, data_dir, status)
    if menu is None:  # (a window that does not hand its menu over: found by its title)
        menu = next((m for a in window.menuBar().actions()
                     if isinstance(m := a.menu(), QMenu)
                     and a.text().replace("&", "") == "Watch"), None)
    if menu is not None:
        menu.addSeparator()
        menu.addAction(updater.update_action)
        menu.addAction(updater.weekly_action)
    window.addAction(updater.update_action)
    return updater
