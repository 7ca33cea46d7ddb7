"""Evidence out of the app: a change report as PDF (Qt's own PDF writer) or on paper, the
platform's verifiable ZIP, a document's timeline as CSV or JSON, and the weekly digest.

Every file goes through export.save_private / export_platform: never inside the data folder
(the database lives there), readable by its owner only, written aside and renamed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF
from PySide6.QtGui import (
    QAction,
    QKeySequence,
    QPageLayout,
    QPageSize,
    QPdfWriter,
    QTextDocument,
)
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QWidget

from watcher_app.export import ExportRefused, check_output, export_platform, save_private
from watcher_app.ui import links, queries


@dataclass(frozen=True)
class ExportHost:
    """What the export actions need from the main window, handed over explicitly."""

    window: QWidget  # the dialogs' parent; it owns the actions (their shortcuts)
    file_menu: QMenu  # the report, evidence and timeline actions go first in it
    view_menu: QMenu  # the weekly digest goes here
    document_id: Callable[[], int | None]  # the document shown (timeline or diff)
    change_id: Callable[[], int | None]  # the change shown last: the report's


def report_document(change_id: int) -> QTextDocument:
    document = QTextDocument()
    document.setHtml(queries.change_report_html(change_id))
    return document


def save_report_pdf(change_id: int, path: Path) -> Path:
    """The change report (summary, severity, categories with evidence, diff) as an A4 PDF."""
    check_output(path, force=True, ours=None)  # refused before the work, not after
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    writer.setTitle(f"Governance Watcher change report {change_id}")
    writer.setCreator("Governance Watcher")
    report_document(change_id).print_(writer)
    del writer  # ends the PDF: its last bytes are written when the writer goes
    buffer.close()
    return save_private(path, bytes(data.data()))


def print_report(change_id: int, parent: QWidget) -> bool:
    """The system print dialog for the change report; False when cancelled or unavailable."""
    try:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter
    except ImportError:  # a Qt build without print support: the PDF is the way out
        links.message(parent, "information", "Print", "Printing is not available; save the "
                      "report as PDF and print that instead.")
        return False
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    dialog = QPrintDialog(printer, parent)
    if dialog.exec() != QPrintDialog.DialogCode.Accepted:
        return False
    report_document(change_id).print_(printer)
    return True


def export_timeline(document_id: int, path: Path) -> Path:
    fmt = "json" if path.suffix.lower() == ".json" else "csv"
    return save_private(path, queries.timeline_export(document_id, fmt))


def _refused(parent: QWidget, title: str, exc: Exception) -> None:
    links.message(parent, "warning", title, str(exc))


# --- dialogs (thin: the work above is what the tests drive) ------------------------------------


def ask_save_report_pdf(change_id: int | None, parent: QWidget) -> Path | None:
    if change_id is None:
        links.message(parent, "information", "Change report", "Open a change first.")
        return None
    name, _ = QFileDialog.getSaveFileName(parent, "Save change report as PDF",
                                          f"change-{change_id}-report.pdf", "PDF (*.pdf)")
    try:
        return save_report_pdf(change_id, Path(name)) if name else None
    except (ExportRefused, OSError) as exc:
        _refused(parent, "Change report", exc)
        return None


def ask_export_platform(platform_id: str | None, parent: QWidget) -> Path | None:
    if platform_id is None:
        ids = queries.platform_ids()
        if not ids:
            return None
        platform_id, ok = QInputDialog.getItem(parent, "Export evidence", "Platform:", ids, 0,
                                               False)
        if not ok:
            return None
    name, _ = QFileDialog.getSaveFileName(parent, "Export evidence (ZIP)",
                                          f"{platform_id}-evidence.zip", "ZIP archive (*.zip)")
    if not name:
        return None
    try:  # the dialog asked before overwriting: that is the user's --force
        out = export_platform(platform_id, Path(name), force=True)
    except (ExportRefused, OSError) as exc:
        _refused(parent, "Export evidence", exc)
        return None
    links.message(parent, "information", "Export evidence", f"Saved {out}.\nUnzip it and run "
                  "`sha256sum -c SHA256SUMS` to verify every file.")
    return out


def ask_export_timeline(document_id: int | None, parent: QWidget) -> Path | None:
    if document_id is None:
        links.message(parent, "information", "Export timeline", "Select a document first.")
        return None
    name, chosen = QFileDialog.getSaveFileName(parent, "Export timeline",
                                               f"timeline-{document_id}.csv",
                                               "CSV (*.csv);;JSON (*.json)")
    if not name:
        return None
    path = Path(name)
    if not path.suffix:
        path = path.with_suffix(".json" if "json" in chosen.lower() else ".csv")
    try:
        return export_timeline(document_id, path)
    except (ExportRefused, OSError) as exc:
        _refused(parent, "Export timeline", exc)
        return None


def install_export_menu(host: ExportHost) -> list[QAction]:
    """Add the export actions to the window's File menu and the digest to its View menu (kept
    here so the window stays small)."""
    window = host.window

    def platform_id() -> str | None:
        doc_id = host.document_id()
        return queries.document_info(doc_id).platform_id if doc_id else None

    def report_change() -> int | None:
        return host.change_id()

    specs: list[tuple[str, str | None, Callable[[], object]]] = [
        ("Save change report as &PDF\u2026", "Ctrl+Shift+S",
         lambda: ask_save_report_pdf(report_change(), window)),
        ("&Print change report\u2026", "Ctrl+P",
         lambda: (change := report_change()) is not None and print_report(change, window)),
        ("Export &evidence (ZIP)\u2026", "Ctrl+E",
         lambda: ask_export_platform(platform_id(), window)),
        ("Export &timeline (CSV/JSON)\u2026", None,
         lambda: ask_export_timeline(host.document_id(), window)),
    ]
    actions = []
    file_menu = host.file_menu
    first = file_menu.actions()[0] if file_menu.actions() else None
    for text, shortcut, slot in specs:
        action = QAction(text, window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _=False, s=slot: s())
        window.addAction(action)
        if first is not None:
            file_menu.insertAction(first, action)
        else:
            file_menu.addAction(action)
        actions.append(action)
    if first is not None:
        file_menu.insertSeparator(first)
    digest = QAction("Weekly &digest\u2026", window)
    digest.setShortcut(QKeySequence("Ctrl+Shift+D"))
    digest.triggered.connect(lambda _=False: _show_digest(window))
    window.addAction(digest)
    host.view_menu.addAction(digest)
    return [*actions, digest]


def _show_digest(window: QWidget) -> None:
    from watcher_app.ui.digest_dialog import DigestDialog

    DigestDialog(window).exec()
