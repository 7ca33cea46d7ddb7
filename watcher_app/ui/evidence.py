"""Evidence of one stored version: where and when it was captured, and the hashes that let
anyone check later that the text and the raw page are exactly what was seen.

The citation uses UTC (unambiguous in a filing) while the dialog shows local time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from watcher_app.export import ExportRefused, save_private
from watcher_app.outcomes import VersionKind
from watcher_app.ui import links, theme
from watcher_app.ui.queries import Evidence, SnapshotInfo, load_evidence, raw_snapshot
from watcher_app.ui.runtime import run_task

RAW_PREVIEW_CHARS = 2_000_000  # a raw page bigger than this is shown truncated (saving is whole)


def citation(ev: Evidence) -> str:
    """The same stable citation as exports and `governance-watcher cite`."""
    return ev.citation


def _selectable(text: str, mono: bool = False) -> QLabel:
    label = links.plain_label(text)  # names, URLs and hashes: shown as text, never as markup
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                  | Qt.TextInteractionFlag.TextSelectableByKeyboard)
    label.setWordWrap(True)
    if mono:
        label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return label


class EvidenceDialog(QDialog):
    def __init__(self, version_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ev = load_evidence(version_id)
        v = self.ev.version
        self.setWindowTitle(f"Evidence \u2014 {self.ev.platform} \u2014 {self.ev.document}")
        self.setMinimumWidth(720)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        kind: dict[str, str] = {
                VersionKind.FIRST: "first capture", VersionKind.CHANGE: "change (alerted)",
                VersionKind.NOISE: "noise only (no alert)",
                VersionKind.UPGRADE: "technical upgrade (no alert)"}
        form.addRow("Document:", _selectable(f"{self.ev.platform} \u2014 {self.ev.document}"))
        form.addRow("Version:", _selectable(
            f"v{self.ev.number} of {self.ev.total} \u00b7 {kind.get(v.kind, v.kind)}"
            + (" \u00b7 current" if v.current else "") + f" \u00b7 record #{v.id}"))
        url = links.link_label(links.link_html(self.ev.url))  # the URL a page redirected to
        url.setWordWrap(True)
        form.addRow("URL:", url)
        snap = self.ev.snapshots[0] if self.ev.snapshots else None
        form.addRow("Fetched at:", _selectable(
            theme.when(snap.fetched_at if snap else v.first_seen, seconds=True)))
        form.addRow("HTTP status:", _selectable(str(snap.http_status) if snap else "—"))
        form.addRow("SHA-256 (text):", _selectable(v.sha256, mono=True))
        for s in self.ev.snapshots:
            label = "SHA-256 (raw):" if len(self.ev.snapshots) == 1 else \
                f"SHA-256 (raw {s.source_index + 1}):"
            form.addRow(label, _selectable(
                f"{s.sha256}\n{s.size:,} bytes \u00b7 {s.content_type}", mono=True))
        if not self.ev.snapshots:
            form.addRow("Raw snapshot:", _selectable("not stored for this version"))
        form.addRow("Extractor version:", _selectable(str(v.extractor_version)))
        form.addRow("First seen:", _selectable(theme.when(v.first_seen, seconds=True)))
        form.addRow("Last verified:", _selectable(
            f"{theme.when(v.last_verified, seconds=True)} ({theme.ago(v.last_verified)})"))

        self.snap_combo = QComboBox()
        self.snap_combo.setAccessibleName("Raw snapshot to open")
        for s in self.ev.snapshots:
            self.snap_combo.addItem(f"{s.url} ({s.size:,} bytes)", s.id)
        self.snap_combo.setVisible(len(self.ev.snapshots) > 1)
        self.raw_btn = QPushButton(theme.icon("evidence"), "Open &raw snapshot")
        self.raw_btn.setEnabled(bool(self.ev.snapshots))
        self.cite_btn = QPushButton(theme.icon("copy"), "Copy &citation")
        self.hash_btn = QPushButton("Copy &SHA-256")
        for b in (self.raw_btn, self.cite_btn, self.hash_btn):
            b.setAccessibleName(b.text().replace("&", ""))
        actions = QHBoxLayout()
        for w in (self.snap_combo, self.raw_btn, self.cite_btn, self.hash_btn):
            actions.addWidget(w)
        actions.addStretch(1)
        self.citation = QPlainTextEdit(citation(self.ev))
        self.citation.setReadOnly(True)
        self.citation.setAccessibleName("Citation")
        self.citation.setMaximumHeight(self.fontMetrics().height() * 8)
        cite_label = QLabel("Citation (what Copy citation puts on the clipboard):")
        cite_label.setBuddy(self.citation)
        self.note = links.plain_label()  # may quote an error about the snapshot
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(cite_label)
        layout.addWidget(self.citation)
        layout.addLayout(actions)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self.raw_btn.clicked.connect(self.open_raw)
        self.cite_btn.clicked.connect(self.copy_citation)
        self.hash_btn.clicked.connect(lambda: self._copy(v.sha256, "SHA-256 of the text copied."))

    def copy_citation(self) -> str:
        text = citation(self.ev)
        self._copy(text, "Citation copied to the clipboard.")
        return text

    def _copy(self, text: str, note: str) -> None:
        QGuiApplication.clipboard().setText(text)
        self.note.setText(note)

    def open_raw(self) -> None:
        if not self.ev.snapshots:
            return
        index = max(0, self.snap_combo.currentIndex())
        snap_id = self.ev.snapshots[index].id
        self.raw_btn.setEnabled(False)
        self.note.setText("Reading the raw snapshot…")
        run_task(lambda _report: _read_raw(snap_id), self._show_raw, self._raw_failed)

    def _show_raw(self, payload: tuple[SnapshotInfo, bytes]) -> None:
        self.raw_btn.setEnabled(True)
        self.note.clear()
        snap, raw = payload
        RawSnapshotDialog(snap, raw, self).exec()

    def _raw_failed(self, message: str) -> None:
        self.raw_btn.setEnabled(True)
        self.note.setText(f"Could not read the snapshot: {message}")


def _read_raw(snapshot_id: int) -> tuple[SnapshotInfo, bytes]:
    return raw_snapshot(snapshot_id)


class RawSnapshotDialog(QDialog):
    """The raw bytes as fetched, shown as text (HTML source), with Save as…"""

    def __init__(self, snap: SnapshotInfo, raw: bytes, parent: QWidget | None = None,
                 save_path: Callable[[], str] | None = None) -> None:
        super().__init__(parent)
        self.raw, self.snap = raw, snap
        self.setWindowTitle(f"Raw snapshot \u2014 {snap.url}")
        self.resize(900, 640)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Raw snapshot text")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        if snap.content_type == "application/pdf" or raw.startswith(b"%PDF-"):
            shown = f"(PDF, {len(raw):,} bytes: use Save as… to open it in a PDF reader)"
        else:
            shown = raw[:RAW_PREVIEW_CHARS].decode("utf-8", "replace")
            if len(raw) > RAW_PREVIEW_CHARS:
                shown += "\n\n… (truncated here; Save as… keeps every byte)"
        self.text.setPlainText(shown)
        info = links.plain_label(f"Fetched {theme.when(snap.fetched_at, seconds=True)} \u00b7 HTTP "
                      f"{snap.http_status} \u00b7 {len(raw):,} bytes \u00b7 SHA-256 {snap.sha256}")
        info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        info.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("&Save as…")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(info)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self._save_path = save_path or self._ask_path

    def _ask_path(self) -> str:
        suffix = ".pdf" if self.raw.startswith(b"%PDF-") else ".html"
        path, _ = QFileDialog.getSaveFileName(self, "Save the raw snapshot",
                                              f"snapshot-{self.snap.sha256[:12]}{suffix}")
        return path

    def save(self) -> None:
        path = self._save_path()
        if not path:
            return
        try:
            save_private(Path(path), self.raw)
        except (OSError, ExportRefused) as exc:
            links.message(self, "warning", "Save failed", f"Could not save the snapshot: {exc}")
