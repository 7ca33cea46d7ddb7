"""The main window: sidebar of watched platforms, and pages for the activity feed, a document's
timeline, the diff and the notification log.

The window never runs checks itself: it asks for them with `check_requested` and shows their
progress from the signals the app re-emits from the scheduler's worker thread. Views re-read
the database (small paged queries) after each check, debounced.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import peewee
from PySide6.QtCore import QByteArray, QEvent, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from watcher_app import APP_NAME, __version__
from watcher_app.check_result import CheckResult
from watcher_app.offline import OFFLINE_MESSAGE, is_connection_failure
from watcher_app.outcomes import Status
from watcher_app.progress import Progress
from watcher_app.ui import commands, links, queries, theme
from watcher_app.ui.catalog_update import install_catalog_update
from watcher_app.ui.diff_view import DiffView
from watcher_app.ui.evidence import EvidenceDialog
from watcher_app.ui.exports import ExportHost, install_export_menu
from watcher_app.ui.feed import FeedView, NotificationLog
from watcher_app.ui.offline_notice import OfflineNotice, OfflineRetry
from watcher_app.ui.picker import PickerDialog, ask_import
from watcher_app.ui.runtime import guarded, run_task
from watcher_app.ui.settings_dialog import SettingsDialog
from watcher_app.ui.sidebar import Sidebar
from watcher_app.ui.timeline import TimelineView
from watcher_app.ui.tray import AlertBanner

FEED, TIMELINE, DIFF, ALERTS = range(4)
LAYOUT_KEY = "ui.window_layout"
SHORTCUTS = (
    ("F5", "Check every document now"), ("Ctrl+R", "Check the selected platform/document now"),
    ("Ctrl+Shift+P", "Pause or resume background checks"), ("Ctrl+1", "Activity feed"),
    ("Ctrl+2", "Notification log"), ("Alt+Left", "Back"), ("N / P", "Next / previous change"),
    ("Ctrl+F", "Find in the diff"), ("Ctrl+M / Ctrl+U", "Mark selected changes read / unread"),
    ("Ctrl+Shift+L", "Choose platforms"), ("Ctrl+O", "Import a declaration"),
    ("Ctrl+,", "Settings"),
    ("Ctrl+W", "Close the window (keeps watching from the tray; without a tray, asks)"),
    ("Ctrl+Q", "Quit"),
)


log = logging.getLogger(__name__)

class MainWindow(QMainWindow):
    check_requested = Signal(object)  # list of document ids, or None for all
    pause_toggled = Signal(bool)
    quit_requested = Signal()
    settings_saved = Signal(object)
    watchlist_changed = Signal()
    hidden_to_tray = Signal()
    refreshed = Signal(int)  # unread changes in total (the tray icon shows it)

    def __init__(self, db: peewee.Database, data_dir: Path) -> None:
        super().__init__()
        self.db, self.data_dir = db, data_dir
        self.keep_in_tray = False  # set by the app when a system tray exists
        self.quitting = False  # the app is quitting: closing the window asks nothing
        self._user_close = False  # Ctrl+W: a close the user asked for, like the title bar's
        self._history: list[int] = []
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(theme.icon("app"))
        self.resize(1280, 800)
        self.sidebar = Sidebar()
        self.feed, self.timeline = FeedView(), TimelineView()
        self.diff, self.alerts = DiffView(), NotificationLog()
        self.stack = QStackedWidget()
        for page in (self.feed, self.timeline, self.diff, self.alerts):
            self.stack.addWidget(page)
        self.banner = AlertBanner()
        self.offline_notice = OfflineNotice()
        self.offline_retry = OfflineRetry(self.check_requested.emit, self)
        self.offline = False  # every document checked failed to connect (offline.py)
        self._cycle_failures: list[bool] = []  # per check this cycle: failed to connect?
        right = QWidget()
        col = QVBoxLayout(right)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.offline_notice)
        col.addWidget(self.banner)
        col.addWidget(self.stack, 1)
        split = QSplitter()
        split.addWidget(self.sidebar)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        split.setSizes([240, 1040])  # the sidebar keeps its width as the window shrinks
        split.setChildrenCollapsible(False)
        self.split = split
        self.setCentralWidget(split)
        self._status_bar()
        self._actions()
        self.current_change_id: int | None = None
        self.picker_options: dict[str, object] = {}  # the demo lists its own platforms only
        self.export_actions = install_export_menu(ExportHost(
            self, self.menus["&File"], self.menus["&View"], self.current_document_id,
            lambda: self.current_change_id))
        self.catalog_updater = install_catalog_update(self, data_dir, self.status_text,
                                                      self.menus["&Watch"])
        self._wire()
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(250)
        self._refresh_timer.timeout.connect(self.refresh_in_background)
        self._refresh_busy = self._refresh_again = False
        self._clock = QTimer(self)  # "verified 3 min ago" must age even when nothing happens
        self._clock.setInterval(60_000)
        self._clock.timeout.connect(self.sidebar.viewport().update)
        self._clock.start()
        self.refresh()
        self.sidebar.select("nav:activity")
        self.restore_layout()

    # --- construction ---------------------------------------------------------------------------

    def _status_bar(self) -> None:
        self.status_text = links.plain_label("Ready")  # names platforms and documents
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setAccessibleName("Check progress")
        self.progress.setFormat("%v / %m")
        self.progress.hide()
        # an icon and words, no "\u23f8" (a box in the default fonts); a click resumes
        self.paused_label = QPushButton(theme.icon("pause"), "")
        self.paused_label.setFlat(True)
        self.paused_label.setToolTip("Click to resume background checks")
        self.paused_label.clicked.connect(lambda: self._pause_clicked(False))
        self.paused_label.hide()
        bar = self.statusBar()
        bar.addWidget(self.status_text, 1)
        bar.addPermanentWidget(self.paused_label)
        bar.addPermanentWidget(self.progress)

    def _action(self, text: str, slot: object, shortcut: str | QKeySequence | None = None,
                icon: str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if icon:
            action.setIcon(theme.icon(icon))
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip or text.replace("&", "").rstrip("\u2026"))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _actions(self) -> None:
        a = self._action
        self.check_all_action = a("Check &all now", lambda: self.check_requested.emit(None),
                                  "F5", "refresh", "Check every watched document now")
        self.check_sel_action = a("Check &selected now", self.check_selected, "Ctrl+R",
                                  "refresh")
        self.pause_action = a("&Pause background checks", self._pause_clicked, "Ctrl+Shift+P",
                              "pause")
        self.pause_action.setCheckable(True)
        self.platforms_action = a("&Platforms\u2026", self.open_picker, "Ctrl+Shift+L",
                                  "platforms", "Choose the platforms to watch")
        self.import_action = a("&Import declaration\u2026", self.import_file, "Ctrl+O", "import")
        self.settings_action = a("&Settings\u2026", self.open_settings, "Ctrl+,", "settings")
        self.activity_action = a("&Activity", lambda: self.sidebar.select("nav:activity"),
                                 "Ctrl+1", "activity")
        self.log_action = a("&Notification log", lambda: self.sidebar.select("nav:alerts"),
                            "Ctrl+2", "bell")
        self.back_action = a("&Back", self.back, QKeySequence(QKeySequence.StandardKey.Back),
                             "back")
        folder = a("Open &data folder", lambda: QDesktopServices.openUrl(
            QUrl.fromLocalFile(str(self.data_dir))), None, "folder")
        self.close_action = close = a("&Close window", self._close_clicked, "Ctrl+W")
        self.quit_action = a("&Quit", self._quit, "Ctrl+Q")
        keys = a("&Keyboard shortcuts", self.show_shortcuts, "F1")
        about = a(f"&About {APP_NAME}", self.show_about)
        menus = self.menuBar()
        self.menus: dict[str, QMenu] = {}  # by title: the export actions join File and View
        for title, actions in (
            ("&File", [self.import_action, folder, None, close, self.quit_action]),
            ("&View", [self.activity_action, self.log_action, self.back_action]),
            ("&Watch", [self.check_all_action, self.check_sel_action, self.pause_action, None,
                        self.platforms_action, self.settings_action]),
            ("&Help", [keys, about]),
        ):
            menu = self.menus[title] = menus.addMenu(title)
            for action in actions:
                menu.addSeparator() if action is None else menu.addAction(action)
        tools = self.addToolBar("Main")
        tools.setObjectName("main-toolbar")
        tools.setMovable(False)
        tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.check_all_action, self.pause_action, None, self.platforms_action,
                       self.import_action, None, self.activity_action, self.log_action,
                       self.settings_action):
            tools.addSeparator() if action is None else tools.addAction(action)

    def _wire(self) -> None:
        self.sidebar.navigate.connect(self._navigate)
        self.sidebar.check_requested.connect(self.check_requested.emit)
        self.sidebar.unwatch_requested.connect(self.unwatch_platform)
        self.feed.open_change.connect(self.open_change)
        self.feed.read_changed.connect(self.schedule_refresh)
        # a correction changes severities in the feed, the timeline and the badges' filters
        self.feed.corrected.connect(lambda _id: self.schedule_refresh())
        self.diff.corrected.connect(lambda _id: self.schedule_refresh())
        self.timeline.open_change.connect(self.open_change)
        self.timeline.compare_requested.connect(self.open_compare)
        self.timeline.evidence_requested.connect(self.show_evidence)
        self.timeline.check_requested.connect(self.check_requested.emit)
        self.diff.evidence_requested.connect(self.show_evidence)
        self.diff.change_opened.connect(self._change_seen)
        self.diff.back_requested.connect(self.back)
        self.alerts.open_change.connect(self.open_change)
        self.banner.open_change.connect(self.open_change)

    # --- window layout, remembered across runs (a row of the setting table; the settings
    # module ignores keys it does not know) ----------------------------------------------------

    def save_layout(self) -> None:
        value = {"geometry": bytes(self.saveGeometry().toBase64().data()).decode("ascii"),
                 "sidebar": self.split.sizes()}
        commands.save_ui_setting(LAYOUT_KEY, value)  # at quit: synchronous, it must be stored

    def restore_layout(self) -> None:
        stored = queries.ui_setting(LAYOUT_KEY)
        value = stored if isinstance(stored, dict) else {}
        if isinstance(value.get("geometry"), str):
            self.restoreGeometry(QByteArray.fromBase64(value["geometry"].encode("ascii")))
        sizes = value.get("sidebar")
        if isinstance(sizes, list) and len(sizes) == 2 and all(isinstance(v, int) for v in sizes):
            self.split.setSizes(sizes)

    # --- navigation -------------------------------------------------------------------------------

    def _show(self, page: int) -> None:
        if self.stack.currentIndex() != page:
            self._history.append(self.stack.currentIndex())
            del self._history[:-20]
        self.stack.setCurrentIndex(page)

    def _navigate(self, kind: str, ident: object) -> None:
        if kind == "activity":
            self.feed.set_platform(None)
            self._show(FEED)
        elif kind == "alerts":
            self.alerts.refresh()
            self._show(ALERTS)
        elif kind == "platform":
            self.feed.set_platform(str(ident))
            self._show(FEED)
        elif kind == "document":
            self.timeline.show_document(int(ident))  # type: ignore[call-overload]
            self._show(TIMELINE)

    def back(self) -> None:
        if self._history:
            self.stack.setCurrentIndex(self._history.pop())

    def open_change(self, change_id: int) -> None:
        self.diff.show_change(change_id)
        self._show(DIFF)
        self.bring_to_front()

    def open_compare(self, document_id: int, old_id: int, new_id: int) -> None:
        self.diff.compare(document_id, old_id, new_id)
        self._show(DIFF)

    def current_document_id(self) -> int | None:
        """The document shown (the timeline's, else the diff's): what exports are about."""
        return self.timeline.document_id or self.diff.document_id

    def _change_seen(self, change_id: int) -> None:
        self.current_change_id = change_id  # the change a report or print is about
        run_task(lambda _r: commands.mark_read([change_id]), self._marked_read)

    def _marked_read(self, count: int) -> None:
        if count:
            self.schedule_refresh()

    def bring_to_front(self) -> None:
        self.showNormal() if self.isMinimized() else self.show()
        self.raise_()
        self.activateWindow()

    # --- refresh ----------------------------------------------------------------------------------

    def schedule_refresh(self) -> None:
        self._refresh_timer.start()

    def refresh_in_background(self) -> None:
        """The refresh after a check: the queries run in the thread pool and only the widget
        updates run on the GUI thread, so a check cycle never stalls the window. One at a
        time; a request meanwhile runs once more afterwards."""
        if self._refresh_busy:
            self._refresh_again = True
            return
        self._refresh_busy, self._refresh_again = True, False
        prefetch = self.feed.prefetch
        run_task(lambda _p: (queries.sidebar_status(), prefetch()), self._apply_refresh,
                 self._refresh_failed)

    def _apply_refresh(self, data: tuple[Any, ...]) -> None:
        statuses, feed_data = data
        self.set_offline(queries.offline(statuses), statuses)
        self.sidebar.refresh(statuses)
        self.feed.refresh_choices(feed_data)
        if self.stack.currentIndex() == TIMELINE:
            self.timeline.refresh()
        elif self.stack.currentIndex() == ALERTS:
            self.alerts.refresh()
        self.refreshed.emit(self.unread_total())
        self._refresh_done()

    def _refresh_failed(self, message: str) -> None:
        log.warning("background refresh failed: %s", message)
        self._refresh_done()

    def _refresh_done(self) -> None:
        self._refresh_busy = False
        if self._refresh_again:
            self._refresh_timer.start()

    def refresh(self) -> None:
        statuses = queries.sidebar_status()
        self.set_offline(queries.offline(statuses), statuses)
        self.sidebar.refresh(statuses)
        self.feed.refresh_choices()
        if self.stack.currentIndex() == TIMELINE:
            self.timeline.refresh()
        elif self.stack.currentIndex() == ALERTS:
            self.alerts.refresh()
        self.refreshed.emit(self.unread_total())

    def unread_total(self) -> int:
        return sum(p.unread for p in self.sidebar.platforms.values())

    def set_offline(self, offline: bool, statuses: list[queries.PlatformStatus]) -> None:
        """One offline state: the strip, grey rows, the feed's sentence and the status bar;
        cleared by the first check that reaches a host (offline_retry tries one now and
        then, and catches up on the others when one does)."""
        self.feed.set_state(watching=bool(statuses), offline=offline)
        self.offline_retry.update(offline, statuses)
        if offline == self.offline:
            return
        self.offline = self.sidebar.offline = offline
        self.offline_notice.setVisible(offline)
        if offline:
            self.status_text.setText(OFFLINE_MESSAGE)
        elif self.status_text.text() == OFFLINE_MESSAGE:
            self.status_text.setText("Back online")

    # --- scheduler signals (queued from the worker thread) ---------------------------------------

    def on_check_started(self, doc_id: int) -> None:
        self.sidebar.set_checking(doc_id, True)
        doc = self.sidebar.docs.get(doc_id)
        self.status_text.setText(f"Checking {doc.type if doc else 'a document'}\u2026")

    def on_check_finished(self, doc_id: int, result: CheckResult) -> None:
        self.sidebar.set_checking(doc_id, False)
        self._cycle_failures.append(is_connection_failure(result.code, result.reason))
        status = result.status
        doc = self.sidebar.docs.get(doc_id)
        name = f"{result.platform} \u2014 {doc.type if doc else ''}"
        words = {Status.FIRST: "first version captured", Status.UNCHANGED: "verified, no change",
                 Status.CHANGED: "changed!", Status.BLOCKED: "blocked", Status.ERROR: "failed",
                 Status.UPGRADE: "re-read by a newer extractor",
                 Status.SKIPPED: "already being checked elsewhere"}
        self.status_text.setText(f"{name}: {words.get(status, status)}")
        self.schedule_refresh()

    def on_progress(self, event: Progress) -> None:
        """What the checks are doing, e.g. "Confirming a change on OpenAI Terms of Service
        (second fetch in 40 s)…" while the changes found wait for their second fetch.
        Concurrent checks send several events a second; the bar and the text are redrawn at
        most every 250 ms (a QProgressBar repaints the window synchronously on each value)."""
        self._progress_event = event
        timer = getattr(self, "_progress_timer", None)
        if timer is None:
            timer = self._progress_timer = QTimer(self)
            timer.setSingleShot(True)
            timer.setInterval(250)
            timer.timeout.connect(self._show_progress)
        if not timer.isActive():
            timer.start()

    def _show_progress(self) -> None:
        event = self._progress_event
        if not event.busy:
            return  # the cycle ended meanwhile (on_idle says so)
        if event.checking or event.confirming:
            message = event.message()
            if self.status_text.text() != message:
                self.status_text.setText(message)
        for change in event.confirming:
            # no spinner while a change only waits for its second fetch (up to a minute, for
            # many documents at once); the status bar says what it waits for
            waiting = change.due_at > event.at
            if waiting == (change.document_id in self.sidebar.checking):
                self.sidebar.set_checking(change.document_id, not waiting)
        if event.total <= 0:
            return
        if self.progress.maximum() != event.total:
            self.progress.setRange(0, event.total)
        if self.progress.value() != event.done:
            self.progress.setValue(event.done)
        if not self.progress.isVisible():
            self.progress.show()

    def on_idle(self) -> None:
        self.progress.hide()
        self.sidebar.clear_checking()
        failures, self._cycle_failures = self._cycle_failures, []
        # a round in which no check reached any host did not "finish": it waits for the
        # network. A check that reached a host ends it; a smaller round of failures (a retry,
        # "check selected") keeps the state the documents' last checks gave.
        if not failures or not all(failures):
            offline = self.offline and not failures
        else:
            offline = len(failures) >= len(self.sidebar.docs) or self.offline
        self.status_text.setText(OFFLINE_MESSAGE if offline else "All checks done")
        self.schedule_refresh()

    def set_paused(self, paused: bool) -> None:
        self.pause_action.setChecked(paused)
        self.pause_action.setText("&Resume background checks" if paused
                                  else "&Pause background checks")
        self.pause_action.setIcon(theme.icon("resume" if paused else "pause"))
        self.paused_label.setText("Background checks paused" if paused else "")
        self.paused_label.setVisible(paused)

    def show_banner(self, title: str, body: str, change_id: int | None) -> None:
        self.banner.show_alert(title, body, change_id)

    def add_top_strip(self, widget: QWidget) -> None:
        """A strip across the window above the sidebar and the pages (the demo's banner)."""
        holder = QWidget()
        col = QVBoxLayout(holder)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        col.addWidget(widget)
        central = self.takeCentralWidget()
        if central is not None:
            col.addWidget(central, 1)
        self.setCentralWidget(holder)

    # --- commands ---------------------------------------------------------------------------------

    def _pause_clicked(self, checked: bool) -> None:
        self.set_paused(checked)
        self.pause_toggled.emit(checked)

    def check_selected(self) -> None:
        ids = self.sidebar.selected_documents()
        self.check_requested.emit(ids or None)

    def open_picker(self, first_run: bool = False) -> PickerDialog:
        dialog = PickerDialog(self.db, self, first_run=first_run,
                              **self.picker_options)  # type: ignore[arg-type]
        dialog.changed.connect(self._watchlist_changed)
        dialog.open()
        return dialog

    def _watchlist_changed(self) -> None:
        self.refresh()
        self.watchlist_changed.emit()

    def import_file(self, path: str | None = None) -> bool:
        plat, error = ask_import(self, self.db, path)
        if error:
            links.message(self, "warning", "Import refused", error)
        if plat is None:
            return False
        notes = " ".join("Note" + n.removeprefix("note") + "." for n in plat.notes)
        self.status_text.setText(f"Imported {plat.name}; its documents are checked now. {notes}"
                                 .strip())
        self._watchlist_changed()
        return True

    def unwatch_platform(self, platform_id: str) -> None:
        plat = self.sidebar.platforms.get(platform_id)
        name = plat.name if plat else platform_id
        answer = links.message(
            self, "question", "Unwatch platform", f"Stop watching {name}? Its history is kept "
            "and comes back if you watch it again.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            run_task(lambda _r: commands.unwatch(self.db, platform_id),
                     lambda _id: self._watchlist_changed(), self._unwatch_failed)

    def _unwatch_failed(self, message: str) -> None:
        links.message(self, "warning", "Unwatch platform", f"Could not unwatch: {message}")

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.data_dir, self)
        dialog.saved.connect(self.settings_saved.emit)
        dialog.open()
        return dialog

    def show_evidence(self, version_id: int) -> EvidenceDialog:
        dialog = EvidenceDialog(version_id, self)
        dialog.open()
        return dialog

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{v}</td></tr>"
                       for k, v in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def show_about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<b>{APP_NAME} {__version__}</b><br>Watches platforms' terms, privacy "
                          "and AI policies on this computer and tells you when they really "
                          f"change.<br><br>Data folder: {links.esc(self.data_dir)}")

    @guarded()
    def changeEvent(self, event: QEvent) -> None:
        # The desktop switched between light and dark: the colours derived from the palette
        # (diff backgrounds, banner) are recomputed.
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self.diff.refresh_colors()
            self.banner.restyle()
            self.offline_notice.restyle()
        super().changeEvent(event)

    def _close_clicked(self) -> None:
        self._user_close = True
        try:
            self.close()
        finally:
            self._user_close = False

    def _quit(self) -> None:
        self.quitting = True
        self.quit_requested.emit()

    def ask_close_without_tray(self) -> str:
        """"quit" | "minimise" | "cancel": with no system tray, closing the window quits the
        app and watching stops, so the user is told and offered to minimise instead."""
        box = links.message(
            self, "question", "Closing the window stops watching",
            f"This desktop has no system tray, so {APP_NAME} cannot keep watching in the "
            "background: closing the window quits it, and no check runs until you open it "
            "again.\n\nMinimise the window instead to keep watching.",
            QMessageBox.StandardButton.Cancel, show=False)
        assert isinstance(box, QMessageBox)
        minimise = box.addButton("&Minimise and keep watching",
                                 QMessageBox.ButtonRole.AcceptRole)
        quit_button = box.addButton("&Quit", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(minimise)
        box.exec()
        clicked = box.clickedButton()
        return "minimise" if clicked is minimise else "quit" if clicked is quit_button \
            else "cancel"

    @guarded()
    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        if self.keep_in_tray and not self.quitting:
            event.ignore()
            self.hide()
            self.hidden_to_tray.emit()
            return
        # the user closing the window (title bar, Ctrl+W) is asked; a close from code is not
        asked = not self.quitting and (event.spontaneous() or self._user_close)
        choice = self.ask_close_without_tray() if asked else "quit"
        if choice == "quit":
            self.quitting = True
            event.accept()
            self.quit_requested.emit()
            return
        event.ignore()
        if choice == "minimise":
            self.showMinimized()
