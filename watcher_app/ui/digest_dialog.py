"""The weekly digest as an in-app page: what changed across watched platforms this week, what
takes effect soon, what needs attention."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from watcher_app.clock import utcnow
from watcher_app.digest import Digest, build_digest
from watcher_app.export import ExportRefused, save_private
from watcher_app.ui import links


class DigestDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, *, now: dt.datetime | None = None) -> None:
        super().__init__(parent)
        self.digest: Digest = build_digest(now or utcnow())
        self.setWindowTitle(f"Weekly digest \u2014 {self.digest.title()}")
        self.resize(760, 620)
        self.browser = QTextBrowser()
        self.browser.setAccessibleName("Weekly digest")
        links.route_links(self.browser)
        # The plain-text rendering reads well in Qt's rich-text subset, in light and dark.
        self.browser.setPlainText(self.digest.text())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        save = buttons.addButton("&Save as HTML\u2026", QDialogButtonBox.ButtonRole.ActionRole)
        save.clicked.connect(self.save_html)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)

    def save_html(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Save the digest", "weekly-digest.html",
                                              "HTML (*.html)")
        if name:
            try:
                save_private(Path(name), self.digest.html())
            except (ExportRefused, OSError) as exc:
                links.message(self, "warning", "Save the digest", str(exc))
