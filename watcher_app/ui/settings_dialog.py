"""Preferences: how often to check, when to alert, how the app starts, where data lives, and
credentials for documents behind a login (kept only in the system password store). Also a
document's own check interval (e.g. a fast-moving AI policy hourly, a stable imprint weekly),
stored through the settings so the scheduler and the timeline agree."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from watcher_app import autostart, credentials, keyring_store
from watcher_app.config import SHORTEST_INTERVAL
from watcher_app.settings import (
    Settings,
    SettingsError,
    load_settings,
)
from watcher_app.ui import commands, links, queries, theme
from watcher_app.ui.runtime import run_task

THRESHOLDS = (("all", "All changes"), ("medium", "Medium and high severity"),
              ("high", "High severity only"))
UNITS = (("minutes", 60), ("hours", 3600), ("days", 86400))
CREDENTIALS = (("cookie", "Cookie header"), ("basic", "Basic auth (user:password)"))


def split_interval(seconds: int) -> tuple[int, int]:
    """(value, unit index) showing `seconds` in the largest whole unit."""
    for k in (2, 1, 0):
        if seconds % UNITS[k][1] == 0:
            return seconds // UNITS[k][1], k
    return max(1, seconds // 60), 0


class IntervalEdit(QWidget):
    """A number and a unit (minutes / hours / days)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.value, self.unit = QSpinBox(), QComboBox()
        self.value.setRange(1, 999)
        self.value.setAccessibleName(name)
        self.unit.setAccessibleName(f"{name} unit")
        for label, seconds in UNITS:
            self.unit.addItem(label, seconds)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.value)
        row.addWidget(self.unit)
        row.addStretch(1)
        self.setFocusProxy(self.value)

    def seconds(self) -> int:
        return self.value.value() * UNITS[max(0, self.unit.currentIndex())][1]

    def set_seconds(self, seconds: int) -> None:
        value, unit = split_interval(seconds)
        self.unit.setCurrentIndex(unit)
        self.value.setValue(value)


def _spin(low: int, high: int, suffix: str, name: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSuffix(suffix)
    box.setAccessibleName(name)
    return box


class SettingsDialog(QDialog):
    saved = Signal(object)  # the Settings just saved

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.data_dir = data_dir
        self.loaded = load_settings()
        grid = QGridLayout()
        grid.addWidget(self._checks_group(), 0, 0)
        grid.addWidget(self._alerts_group(), 1, 0)
        grid.addWidget(self._startup_group(), 0, 1)
        grid.addWidget(self._credentials_group(), 1, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.error = links.plain_label()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(theme.warning_style("high"))
        self.error.setAccessibleName("Settings error")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self._load(self.loaded)

    # --- groups ---------------------------------------------------------------------------

    def _checks_group(self) -> QGroupBox:
        box = QGroupBox("Checks")
        form = QFormLayout(box)
        self.interval = IntervalEdit("Check interval")
        self.jitter = _spin(0, 60, " min", "Spread of check times")
        self.jitter.setToolTip("Checks start up to this much earlier or later, so the "
                               "platforms' servers are not all hit at the same moment")
        self.paused = QCheckBox("&Pause all background checks")
        form.addRow(self._label("Check &every:", self.interval), self.interval)
        form.addRow(self._label("Spread (\u00b1):", self.jitter), self.jitter)
        form.addRow("", self.paused)
        hint = QLabel(f"Interval: {SHORTEST_INTERVAL}. A document can have its own interval "
                      "(set it from its timeline).")
        hint.setWordWrap(True)
        hint.setStyleSheet(f"color: {theme.muted_text().name()};")
        form.addRow(hint)
        self.interval_hint = hint
        return box

    def _alerts_group(self) -> QGroupBox:
        box = QGroupBox("Notifications")
        form = QFormLayout(box)
        self.threshold = QComboBox()
        self.threshold.setAccessibleName("Notify about")
        for key, label in THRESHOLDS:
            self.threshold.addItem(label, key)
        self.native = QCheckBox("Use &desktop notifications (else the tray or in-app banner)")
        self.quiet = QCheckBox("&Quiet hours from")
        self.quiet_start = _spin(0, 23, ":00", "Quiet hours start")
        self.quiet_end = _spin(0, 23, ":00", "Quiet hours end")
        quiet_row = QHBoxLayout()
        for w in (self.quiet, self.quiet_start, QLabel("to"), self.quiet_end):
            quiet_row.addWidget(w)
        quiet_row.addStretch(1)
        self.quiet.toggled.connect(self.quiet_start.setEnabled)
        self.quiet.toggled.connect(self.quiet_end.setEnabled)
        self.failures = _spin(1, 50, " failed checks in a row", "Failure alert threshold")
        self.stale = _spin(1, 60, " days without verification", "Stale alert threshold")
        form.addRow(self._label("&Notify about:", self.threshold), self.threshold)
        form.addRow("", self.native)
        form.addRow("", quiet_row)
        form.addRow(self._label("Alert &after:", self.failures), self.failures)
        form.addRow(self._label("\u2026or after:", self.stale), self.stale)
        return box

    def _startup_group(self) -> QGroupBox:
        box = QGroupBox("Start-up and data")
        form = QFormLayout(box)
        self.login = QCheckBox("Start &at login")
        self.minimized = QCheckBox("Start &minimized to the tray")
        folder = links.plain_label(str(self.data_dir))
        folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        folder.setWordWrap(True)
        open_btn = QPushButton(theme.icon("folder"), "&Open folder")
        open_btn.setAccessibleName("Open the data folder")
        open_btn.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.data_dir))))
        form.addRow("", self.login)
        form.addRow("", self.minimized)
        form.addRow("Data folder:", folder)
        form.addRow("", open_btn)
        return box

    def _credentials_group(self) -> QGroupBox:
        box = QGroupBox("Credentials for documents behind a login")
        form = QFormLayout(box)
        ok, message = keyring_store.backend_status()
        self.keyring_ok = ok
        status = QLabel(message)
        status.setWordWrap(True)
        status.setAccessibleName("Password store status")
        if not ok:
            status.setStyleSheet(theme.warning_style("medium"))
        self.cred_doc, self.cred_kind = QComboBox(), QComboBox()
        self.cred_doc.setAccessibleName("Document for the credential")
        self.cred_kind.setAccessibleName("Kind of credential")
        for plat in queries.sidebar_status():
            for doc in plat.documents:
                self.cred_doc.addItem(f"{plat.name} \u2014 {doc.type}", doc.id)
        for key, label in CREDENTIALS:
            self.cred_kind.addItem(label, key)
        self.cred_value = QLineEdit()
        self.cred_value.setEchoMode(QLineEdit.EchoMode.Password)
        self.cred_value.setAccessibleName("Credential value")
        self.cred_value.setPlaceholderText("Stored only in the system password store")
        self.cred_store = QPushButton("S&tore")
        self.cred_delete = QPushButton("&Remove")
        self.cred_note = links.plain_label()
        self.cred_note.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cred_store)
        buttons.addWidget(self.cred_delete)
        buttons.addStretch(1)
        form.addRow(status)
        form.addRow(self._label("Doc&ument:", self.cred_doc), self.cred_doc)
        form.addRow(self._label("&Kind:", self.cred_kind), self.cred_kind)
        form.addRow(self._label("&Value:", self.cred_value), self.cred_value)
        form.addRow("", buttons)
        form.addRow(self.cred_note)
        usable = ok and self.cred_doc.count() > 0
        for w in (self.cred_doc, self.cred_kind, self.cred_value, self.cred_store,
                  self.cred_delete):
            w.setEnabled(usable)
        self.cred_store.clicked.connect(self.store_credential)
        self.cred_delete.clicked.connect(self.delete_credential)
        return box

    @staticmethod
    def _label(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        return label

    # --- load / save -------------------------------------------------------------------------

    def _load(self, s: Settings) -> None:
        self.interval.set_seconds(s.check_interval_s)
        self.jitter.setValue(s.jitter_s // 60)
        self.paused.setChecked(s.paused)
        self.threshold.setCurrentIndex(max(0, self.threshold.findData(s.notify_threshold)))
        self.native.setChecked(s.notify_native)
        self.quiet.setChecked(s.quiet_hours is not None)
        start, end = s.quiet_hours or (22, 7)
        self.quiet_start.setValue(start)
        self.quiet_end.setValue(end)
        self.quiet_start.setEnabled(s.quiet_hours is not None)
        self.quiet_end.setEnabled(s.quiet_hours is not None)
        self.failures.setValue(s.failure_alert_after)
        self.stale.setValue(s.stale_alert_days)
        self.login.setChecked(s.start_at_login)
        self.minimized.setChecked(s.start_minimized)

    def collect(self) -> Settings:
        """The settings as edited (fields this dialog does not show are kept as loaded)."""
        return dataclasses.replace(
            self.loaded,
            check_interval_s=self.interval.seconds(),
            jitter_s=self.jitter.value() * 60,
            paused=self.paused.isChecked(),
            notify_threshold=THRESHOLDS[max(0, self.threshold.currentIndex())][0],
            notify_native=self.native.isChecked(),
            quiet_hours=(self.quiet_start.value(), self.quiet_end.value())
            if self.quiet.isChecked() else None,
            failure_alert_after=self.failures.value(),
            stale_alert_days=self.stale.value(),
            start_at_login=self.login.isChecked(),
            start_minimized=self.minimized.isChecked(),
        )

    def save(self) -> None:
        # Re-read what others may have changed meanwhile (the tray hint).
        current = load_settings()
        self.loaded.tray_hint_shown = current.tray_hint_shown
        settings = self.collect()
        try:
            commands.save_settings(settings)  # synchronous: a refusal shows in the dialog
        except SettingsError as exc:
            self.error.setText(str(exc))
            return
        if settings.start_at_login != autostart.is_enabled():
            try:
                autostart.set_enabled(settings.start_at_login)
            except OSError as exc:
                self.error.setText(f"Could not change the start-at-login entry: {exc}")
                return
        self.saved.emit(settings)
        self.accept()

    # --- credentials --------------------------------------------------------------------------

    def _cred_target(self) -> tuple[int, str]:
        doc_id = int(self.cred_doc.itemData(max(0, self.cred_doc.currentIndex())))
        return doc_id, CREDENTIALS[max(0, self.cred_kind.currentIndex())][0]

    def store_credential(self) -> None:
        value = self.cred_value.text()
        if not value.strip():
            self.cred_note.setText("Type the credential first.")
            return
        if self.cred_kind.currentIndex() == 1 and ":" not in value:
            self.cred_note.setText("Basic auth is written user:password.")
            return
        doc_id, kind = self._cred_target()
        self.cred_value.clear()  # the value never stays in the widget longer than needed
        self.cred_note.setText("Storing…")
        # The password store may prompt or wait on D-Bus: never on the GUI thread.
        def store(_r: object) -> str:
            credentials.store(doc_id, kind, value)
            return ("Stored in the password store; it is sent only to "
                    f"{credentials.bound_origin(doc_id)}.")

        run_task(store, self._cred_done, self._cred_done)

    def delete_credential(self) -> None:
        doc_id, kind = self._cred_target()
        def delete(_r: object) -> str:
            credentials.delete(doc_id, kind)
            return "Removed from the password store."

        run_task(delete, self._cred_done, self._cred_done)

    def _cred_done(self, message: str) -> None:
        self.cred_note.setText(message)


class IntervalDialog(QDialog):
    def __init__(self, document_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document_id = document_id
        self.settings = load_settings()
        doc = queries.document_info(document_id)
        self.setWindowTitle("Check interval")
        own = doc.own_interval_s
        self.own = QCheckBox("Use an &own interval for this document")
        self.own.setChecked(bool(own))
        self.edit = IntervalEdit("Own check interval")
        self.edit.set_seconds(own or self.settings.check_interval_s)
        self.edit.setEnabled(bool(own))
        self.own.toggled.connect(self.edit.setEnabled)
        default = QLabel(f"Default for all documents: every "
                         f"{theme.duration(self.settings.check_interval_s)} (Settings).")
        default.setStyleSheet(f"color: {theme.muted_text().name()};")
        self.error = links.plain_label()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(theme.warning_style("high"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for w in (self.own, self.edit, default, self.error, buttons):
            layout.addWidget(w)

    def save(self) -> None:
        try:  # synchronous: the dialog shows a refusal in place and closes on success
            commands.set_document_interval(self.document_id,
                                  self.edit.seconds() if self.own.isChecked() else None)
        except SettingsError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
