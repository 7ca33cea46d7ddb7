"""The one offline state of the window: a strip above the pages saying "You appear to be
offline — checks resume when the network returns." (the rule is watcher_app/offline.py).

It replaces what offline used to look like: every document red with a raw socket error,
"All checks done" and "No policy changes this week" when nothing could be checked.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLabel, QWidget

from watcher_app.offline import OFFLINE_MESSAGE, is_connection_failure
from watcher_app.ui.queries import PlatformStatus

RETRY_EVERY_MS = 2 * 60_000  # while offline, one document is tried again this often


class OfflineNotice(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(OFFLINE_MESSAGE, parent)
        self.setObjectName("offline-notice")
        self.setAccessibleName("Offline")
        self.setWordWrap(True)
        self.setToolTip("Every check of the last round failed before reaching any site (the "
                        "address could not be resolved or no connection could be made). "
                        "Nothing is wrong with the watched documents; their history is safe.")
        self.restyle()
        self.hide()

    def restyle(self) -> None:
        # a neutral strip (no red): information, not alarm
        pal = self.palette()
        text = pal.windowText().color().name()
        self.setStyleSheet(
            f"QLabel#offline-notice {{ padding: 8px 12px; color: {text}; "
            f"background: {pal.alternateBase().color().name()}; "
            f"border-bottom: 1px solid {pal.mid().color().name()}; }}")


class OfflineRetry(QObject):
    """Makes "checks resume when the network returns" true: a failed check is otherwise next
    tried one check interval later (hours). While offline, one document that failed to
    connect is checked again every `every_ms` (in turn: one request, to one host, no burst);
    the first check that reaches a host clears the offline state, and then every document
    that failed to connect is checked at once."""

    def __init__(self, request: Callable[[list[int]], None], parent: QObject | None = None,
                 every_ms: int = RETRY_EVERY_MS) -> None:
        super().__init__(parent)
        self.request = request
        self.timer = QTimer(self)
        self.timer.setInterval(every_ms)
        self.timer.timeout.connect(self._retry)
        self.waiting: list[int] = []  # documents whose last check failed to connect
        self.offline = False
        self._turn = 0

    def update(self, offline: bool, platforms: list[PlatformStatus]) -> None:
        self.waiting = [d.id for p in platforms for d in p.documents
                        if d.last_check_at is not None
                        and is_connection_failure(d.last_code, d.last_reason)]
        was, self.offline = self.offline, offline
        if offline and not self.timer.isActive():
            self.timer.start()
        elif not offline:
            self.timer.stop()
            if was and self.waiting:
                self.request(list(self.waiting))  # the network is back: catch up now

    def _retry(self) -> None:
        if not self.offline or not self.waiting:
            return
        self._turn = (self._turn + 1) % len(self.waiting)
        self.request([self.waiting[self._turn]])
