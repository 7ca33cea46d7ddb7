"""The one offline state of the window: a strip above the pages saying "You appear to be
offline — checks resume when the network returns." (the rule is watcher_app/offline.py).

It replaces what offline used to look like: every document red with a raw socket error,
"All checks done" and "No policy changes this week" when nothing could be checked.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from watcher_app.offline import OFFLINE_MESSAGE


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
