"""A document's history backfill from Open Terms Archive, run in the background: what it is
doing (a progress bar and a sentence), a Cancel button, and what it found when it is done.
Everything shown is plain text: file and service names come from a downloaded dataset."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from watcher_app.ui import commands, theme
from watcher_app.ui.runtime import run_task


class BackfillPanel(QWidget):
    finished = Signal()  # done, cancelled or failed: the timeline re-reads its versions

    def __init__(self) -> None:
        super().__init__()
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Backfill progress")
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setAccessibleName("Cancel the backfill")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.label, 1)
        row.addWidget(self.bar)
        row.addWidget(self.cancel_btn)
        self.cancel_btn.clicked.connect(self.cancel)
        self._cancel: threading.Event | None = None
        self.hide()

    @property
    def running(self) -> bool:
        return self._cancel is not None

    def start(self, document_id: int, dataset: str | None) -> None:
        """Import one document's archived history (dataset None: the latest one OTA published
        for the platform's collection). One backfill at a time."""
        if self._cancel is not None:
            return
        cancel = threading.Event()
        self._cancel = cancel
        self.bar.setRange(0, 0)
        self.bar.show()
        self.cancel_btn.show()
        self.label.setText("Opening the dataset\u2026")
        self.show()

        def work(report: Any) -> list[Any]:
            return commands.backfill_document(
                document_id, dataset, cancel,
                lambda p: report(f"{p.done}\t{p.total}\t{p.text()}"))

        run_task(work, self._done, self._failed, self._progress)

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self.label.setText("Cancelling: what was imported stays\u2026")

    def _progress(self, message: str) -> None:
        done, total, text = message.split("\t", 2)
        if int(total):
            self.bar.setRange(0, int(total))
            self.bar.setValue(int(done))
        if self._cancel is not None and not self._cancel.is_set():
            self.label.setText(text)

    def _done(self, reports: list[Any]) -> None:
        parts = []
        for r in reports:
            what = "Cancelled after importing" if r.cancelled else "Imported"
            parts.append(f"{what} {theme.plural(r.imported, 'archived version')}: "
                         f"{theme.plural(r.changes, 'change')}, "
                         f"{r.noise} noise (folded), {r.blocked} not the policy"
                         + (f"; {r.already} were already here" if r.already else "")
                         + (f". {r.live_note[:1].upper()}{r.live_note[1:]}." if r.live_note
                            else "."))
        self._end(" ".join(parts) or "Nothing to import.")

    def _failed(self, message: str) -> None:
        # "BackfillError: the dataset has no service …": the sentence is for the user
        self._end("Backfill failed: " + message.split(": ", 1)[-1])

    def _end(self, text: str) -> None:
        self._cancel = None
        self.bar.hide()
        self.cancel_btn.hide()
        self.label.setText(text)
        self.finished.emit()
