"""Where alerts reach the user inside the app: the tray icon (the app keeps watching with its
window closed; menu Open, Check now, Pause/Resume, Quit; clicking an alert's balloon opens that
change's diff) and the in-app banner, the channel of last resort when the desktop has no
notification service and no tray (a minimal session, some Wayland setups)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QMenu, QPushButton, QSystemTrayIcon

from watcher_app import APP_NAME
from watcher_app.controls import strip_controls
from watcher_app.ui import links, theme


def balloon_text(text: str) -> str:
    """Text for a tray balloon. Depending on the desktop, Qt shows it in a label that detects
    rich text, or hands it to a notification server that reads markup (with links): angle
    brackets become look-alikes so neither sees a tag."""
    return strip_controls(text).replace("<", "\u2039").replace(">", "\u203a")


class TrayController(QObject):
    open_requested = Signal()
    check_requested = Signal()
    pause_toggled = Signal(bool)
    quit_requested = Signal()
    change_clicked = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.tray = QSystemTrayIcon(theme.icon("tray"))
        self.tray.setToolTip(APP_NAME)
        self.menu = QMenu()
        self.open_action = self.menu.addAction(theme.icon("app"), "&Open " + APP_NAME)
        self.check_action = self.menu.addAction(theme.icon("refresh"), "&Check now")
        self.pause_action = self.menu.addAction(theme.icon("pause"), "&Pause checks")
        self.pause_action.setCheckable(True)
        self.menu.addSeparator()
        self.quit_action = self.menu.addAction("&Quit")
        self.tray.setContextMenu(self.menu)
        self.open_action.triggered.connect(self.open_requested.emit)
        self.check_action.triggered.connect(self.check_requested.emit)
        self.pause_action.triggered.connect(self._pause_clicked)
        self.quit_action.triggered.connect(self.quit_requested.emit)
        self.tray.activated.connect(self._activated)
        self.tray.messageClicked.connect(self._message_clicked)
        self.message_change: int | None = None
        self.paused = False
        self.unread = 0

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def supports_messages(self) -> bool:
        return self.available() and QSystemTrayIcon.supportsMessages()

    def show(self) -> None:
        self.tray.show()

    def hide(self) -> None:
        self.tray.hide()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self.pause_action.setChecked(paused)
        self.pause_action.setText("&Resume checks" if paused else "&Pause checks")
        self.pause_action.setIcon(theme.icon("resume" if paused else "pause"))
        self._update_icon()

    def set_unread(self, count: int) -> None:
        self.unread = count
        self._update_icon()

    def _update_icon(self) -> None:
        name = "tray-paused" if self.paused else ("tray-alert" if self.unread else "tray")
        self.tray.setIcon(theme.icon(name))
        parts = [APP_NAME]
        if self.unread:
            parts.append(f"{self.unread} unread change{'s' if self.unread != 1 else ''}")
        if self.paused:
            parts.append("checks paused")
        self.tray.setToolTip(" \u2014 ".join(parts))

    def show_message(self, title: str, body: str, change_id: int | None = None,
                     urgency: str = "normal") -> None:
        self.message_change = change_id
        icon = (QSystemTrayIcon.MessageIcon.Critical if urgency == "critical"
                else QSystemTrayIcon.MessageIcon.Information)
        self.tray.showMessage(balloon_text(title), balloon_text(body), icon, 15_000)

    def _pause_clicked(self, checked: bool) -> None:
        self.set_paused(checked)
        self.pause_toggled.emit(checked)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            self.open_requested.emit()

    def _message_clicked(self) -> None:
        if self.message_change is not None:
            self.change_clicked.emit(self.message_change)
        else:
            self.open_requested.emit()


class AlertBanner(QFrame):
    open_change = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Alert banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.icon = QLabel()
        self.icon.setPixmap(theme.icon("bell").pixmap(20, 20))
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.view_btn = QPushButton("&View change")
        self.dismiss_btn = QPushButton("Dis&miss")
        self.view_btn.setAccessibleName("View the alerted change")
        self.dismiss_btn.setAccessibleName("Dismiss the alert")
        row = QHBoxLayout(self)
        row.addWidget(self.icon)
        row.addWidget(self.text, 1)
        row.addWidget(self.view_btn)
        row.addWidget(self.dismiss_btn)
        self.change_id: int | None = None
        self.pending = 0
        self.view_btn.clicked.connect(self._view)
        self.dismiss_btn.clicked.connect(self.dismiss)
        self.restyle()
        self.hide()

    def restyle(self) -> None:
        pal = self.palette()
        pal.setColor(QPalette.ColorRole.Window, theme.tint(theme.MOVE_HUE))
        self.setPalette(pal)

    def show_alert(self, title: str, body: str, change_id: int | None) -> None:
        self.pending += 1
        self.change_id = change_id
        more = f" <i>(+{self.pending - 1} more in the notification log)</i>" \
            if self.pending > 1 else ""
        self.text.setText(f"<b>{links.esc(title)}</b><br>{links.esc(body)}{more}")
        self.view_btn.setVisible(change_id is not None)
        self.show()

    def dismiss(self) -> None:
        self.pending = 0
        self.hide()

    def _view(self) -> None:
        if self.change_id is not None:
            self.open_change.emit(self.change_id)
        self.dismiss()
