"""Adding a platform the catalogue does not have: name, document type, URL and optional CSS
selectors, with a "Test fetch" that shows exactly the text the watcher would store.

The test fetch runs the same capture → extract → validate path as a real check (on an unsaved
document, in the thread pool), so what the preview shows is what the first check will record.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import peewee
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from watcher_app.capture import Capture
from watcher_app.catalog import DOCUMENT_TYPES, CatalogError
from watcher_app.extract.normalize import text_words
from watcher_app.fetch import Fetcher
from watcher_app.ui import commands, links, queries, theme
from watcher_app.ui.runtime import run_task
from watcher_app.watchlist import WatchError

PREVIEW_LINES = 400


def slug(name: str) -> str:
    """A platform id from its name: "Acme Cloud (EU)" -> "acme-cloud-eu"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "custom"


def declaration(name: str, doc_type: str, url: str, select: str, remove: str
                ) -> dict[str, Any]:
    source: dict[str, Any] = {"fetch": url.strip()}
    if select.strip():
        source["select"] = [select.strip()]
    if remove.strip():
        source["remove"] = [remove.strip()]
    return {"name": name.strip(), "terms": {doc_type: source}}


def trial_fetch(fetcher: Fetcher, url: str, select: str, remove: str) -> Capture:
    """Capture one page the way a check would, without storing anything."""
    source: dict[str, Any] = {
        "url": url.strip(), "select": [select.strip()] if select.strip() else [],
        "remove": [remove.strip()] if remove.strip() else [], "executeClientScripts": False}
    return queries.trial_capture(fetcher, source)


class CustomPlatformDialog(QDialog):
    added = Signal(str)  # the new platform's id

    def __init__(self, db: peewee.Database, parent: QWidget | None = None, *,
                 fetcher_factory: Callable[[], Fetcher] = Fetcher,
                 watch_now: bool = True) -> None:
        super().__init__(parent)
        self.db, self.fetcher_factory = db, fetcher_factory
        self.watch_now = watch_now  # False from the picker: watched on its "Watch selected"
        self.setWindowTitle("Add a custom platform")
        self.setMinimumSize(640, 560)
        self.name, self.ident, self.url = QLineEdit(), QLineEdit(), QLineEdit()
        self.select, self.remove = QLineEdit(), QLineEdit()
        self.doc_type = QComboBox()
        self.doc_type.addItems(list(DOCUMENT_TYPES))
        self.name.setPlaceholderText("e.g. Acme Cloud")
        self.ident.setPlaceholderText("acme-cloud")
        self.url.setPlaceholderText("https://example.com/legal/privacy")
        self.select.setPlaceholderText("optional, e.g. main or #policy-content")
        self.remove.setPlaceholderText("optional, e.g. nav, .cookie-banner")
        for widget, name in ((self.name, "Platform name"), (self.ident, "Platform id"),
                             (self.doc_type, "Document type"), (self.url, "Document URL"),
                             (self.select, "CSS selector of the document"),
                             (self.remove, "CSS selector of parts to remove")):
            widget.setAccessibleName(name)
        self.name.textChanged.connect(self._name_changed)
        self.test_btn = QPushButton(theme.icon("refresh"), "&Test fetch")
        self.test_btn.setAccessibleName("Test fetch")
        self.test_btn.clicked.connect(self.run_test)
        # The verdict quotes the page (its title, a redirect target): plain text only.
        self.verdict = links.plain_label("Test the fetch to see the text that would be stored.")
        self.verdict.setWordWrap(True)
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setAccessibleName("Extracted text preview")
        self.preview.setPlaceholderText("The extracted text appears here.")
        self.error = links.plain_label()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(theme.warning_style("high"))

        form = QFormLayout()
        for text, widget in (("&Name:", self.name), ("&Id:", self.ident),
                             ("Document &type:", self.doc_type), ("&URL:", self.url),
                             ("&Select (CSS):", self.select), ("&Remove (CSS):", self.remove)):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("&Watch it")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.test_btn)
        layout.addWidget(self.verdict)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._auto_id = True
        self.ident.textEdited.connect(lambda _t: setattr(self, "_auto_id", False))

    def _name_changed(self, text: str) -> None:
        if self._auto_id:
            self.ident.setText(slug(text))

    # --- test fetch ---------------------------------------------------------------------------

    def run_test(self) -> None:
        url, select, remove = self.url.text(), self.select.text(), self.remove.text()
        if not url.strip():
            self.verdict.setText("Type the document's URL first.")
            return
        self.test_btn.setEnabled(False)
        self.verdict.setText(f"Fetching {url.strip()}…")
        self.preview.clear()
        factory = self.fetcher_factory

        def work(_report: Callable[[str], None]) -> Capture:
            with factory() as fetcher:
                return trial_fetch(fetcher, url, select, remove)

        run_task(work, self._tested, self._test_failed)

    def _tested(self, cap: Capture) -> None:
        self.test_btn.setEnabled(True)
        words = len(text_words(cap.lines))
        status = f"HTTP {cap.http_status}" if cap.http_status else "no answer"
        if cap.problem is not None:
            problem = cap.problem
            self.verdict.setText(f"\u26a0 {problem.outcome.title()}: {problem.reason} "
                                 f"({status}).")
        else:
            self.verdict.setText(f"\u2714 {theme.plural(words, 'word')} extracted ({status}). "
                                 "This is the text the watcher will store and compare.")
        shown = cap.lines[:PREVIEW_LINES]
        more = len(cap.lines) - len(shown)
        self.preview.setPlainText("\n".join(shown) + (f"\n… {more} more lines" if more > 0
                                                      else ""))

    def _test_failed(self, message: str) -> None:
        self.test_btn.setEnabled(True)
        self.verdict.setText(f"\u26a0 The test fetch failed: {message}")

    # --- save -----------------------------------------------------------------------------------

    def save(self) -> None:
        ident = self.ident.text().strip()
        if not self.name.text().strip():
            self.error.setText("Give the platform a name.")
            return
        if queries.platform_exists(ident):
            self.error.setText(f"A platform with the id \u201c{ident}\u201d exists already; "
                               "choose another id.")
            return
        data = declaration(self.name.text(), self.doc_type.currentText(), self.url.text(),
                           self.select.text(), self.remove.text())
        try:  # synchronous: the dialog shows a refusal in place and closes on success
            commands.add_custom(self.db, ident, data, watch_now=self.watch_now)
        except (CatalogError, WatchError) as exc:
            self.error.setText(str(exc))
            return
        self.added.emit(ident)
        self.accept()
