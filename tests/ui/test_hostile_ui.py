"""Issue 12, item 3 (and 8 for the app): what a page or a declaration says is shown as text in
the desktop app, and only http(s) links ever open; a damaged database gets a dialog.

Links are clicked for real (mouse events on the label); what Qt then opens is caught by URL
handlers registered with QDesktopServices for each scheme, which is where every openUrl call
ends, whether Qt's own label handling makes it or our code does.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QPoint, QPointF, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QTextDocument
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QMessageBox,
    QTreeWidget,
    QTreeWidgetItemIterator,
    QWidget,
)

from tests.loopback import LoopbackServer
from tests.ui.conftest import PARAGRAPHS, policy_html
from watcher_app.store.db import DB_FILENAME, open_database
from watcher_app.store.models import Check, Document, Platform, Version
from watcher_app.ui.evidence import EvidenceDialog
from watcher_app.ui.main_window import MainWindow
from watcher_app.watchlist import add_custom

# links and recovery are imported in the tests that use them, so the others run (and fail for
# their own reasons) on the code before them.

MARK = "<i>HOSTILE</i>"
EVIL_NAME = f'Acme <a href="file:///etc/passwd">passwords</a> {MARK}'
EVIL_TITLE = 'Access denied <a href="file:///etc/passwd">details</a> <i>HOSTILE</i>'
SCHEMES = ("file", "smb", "http", "https", "javascript", "ftp")


class Opened(QObject):
    """Receives every URL Qt opens, per scheme (nothing reaches a real browser or share)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def handle(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@pytest.fixture
def opened():
    recorder = Opened()
    for scheme in SCHEMES:
        QDesktopServices.setUrlHandler(scheme, recorder, "handle")  # type: ignore[arg-type]
    yield recorder
    for scheme in SCHEMES:
        QDesktopServices.unsetUrlHandler(scheme)


def hostile_platform(db, server: LoopbackServer, monitor_factory) -> Document:  # noqa: ANN001
    """A declaration whose name is HTML, a page whose <title> makes a link, and a redirect
    whose target makes an smb:// link: each recorded by the real monitor."""
    escaped_title = EVIL_TITLE.replace("<", "&lt;").replace(">", "&gt;")
    server.route("/privacy", policy_html(PARAGRAPHS))
    server.route("/denied", f"<html><head><title>{escaped_title}</title></head><body>"
                            "<main><p>Access denied.</p></main></body></html>", status=200)
    server.route("/moved", status=302, headers={
        "Location": 'smb://evil.example/share"><a href="smb://evil.example/share">open</a>'})
    add_custom(db, "acme", {"name": EVIL_NAME, "terms": {
        "Privacy Policy": {"fetch": server.url("/privacy"), "select": "main"},
        "Terms of Service": {"fetch": server.url("/denied"), "select": "main"},
        "Cookie Policy": {"fetch": server.url("/moved")}}})
    monitor = monitor_factory()
    for doc in Document.select():
        monitor.check(doc)
    reasons = " ".join(c.reason for c in Check.select())
    assert 'href="file:///etc/passwd"' in reasons and 'href="smb://evil.example' in reasons
    return Document.get(Document.type == "Privacy Policy")


def anchors(label: QLabel) -> dict[str, QPoint]:
    """Where each link of a rich-text label is drawn, in the label's coordinates."""
    if not _rich(label.text(), label.textFormat()):
        return {}
    doc = QTextDocument()
    doc.setDefaultFont(label.font())
    doc.setDocumentMargin(0)
    doc.setHtml(label.text())
    rect = label.contentsRect()
    doc.setTextWidth(rect.width())
    found: dict[str, QPoint] = {}
    layout = doc.documentLayout()
    for y in range(1, int(doc.size().height()), 2):
        for x in range(1, rect.width(), 2):
            href = layout.anchorAt(QPointF(x, y))
            if href and href not in found:
                found[href] = QPoint(x + 2, y) + rect.topLeft()
    return found


def click_every_link(qtbot, label: QLabel) -> list[str]:  # noqa: ANN001
    points = anchors(label)
    for point in points.values():
        QTest.mouseMove(label, point)
        qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=point)
    return list(points)


def test_clicking_links_in_the_timeline_header_opens_only_the_web(
        qtbot, db, data_dir, server, monitor_factory, opened) -> None:  # noqa: ANN001
    doc = hostile_platform(db, server, monitor_factory)
    window = MainWindow(db, data_dir)
    qtbot.addWidget(window)
    window.show()
    for document in Document.select():
        window.sidebar.select(f"d:{document.id}")
        clicked = click_every_link(qtbot, window.timeline.subtitle)
        assert clicked, "the header shows the document's URL as a link"
    assert not [u for u in opened.urls if not u.startswith("http")], opened.urls
    assert server.url("/privacy") in opened.urls  # the real link did open, through the handler
    window.sidebar.select(f"d:{doc.id}")
    assert window.timeline.title.text().startswith("Acme <a href")  # shown as text, verbatim


def test_the_evidence_url_opens_only_if_it_is_web(qtbot, db, server, monitor_factory,  # noqa: ANN001
                                                  opened) -> None:
    doc = hostile_platform(db, server, monitor_factory)
    version = Version.get(Version.document == doc)
    dialog = EvidenceDialog(version.id)
    qtbot.addWidget(dialog)
    dialog.show()
    rich = [w for w in dialog.findChildren(QLabel) if anchors(w)]
    assert len(rich) == 1
    click_every_link(qtbot, rich[0])
    assert opened.urls == [server.url("/privacy")]


def test_open_link_refuses_everything_but_http(opened) -> None:  # noqa: ANN001
    from watcher_app.ui import links

    for url in ("file:///etc/passwd", "smb://evil.example/share", "javascript:alert(1)",
                "ftp://example.com/x", "HTTP://", "data:text/html,x"):
        assert not links.open_link(url)
    assert links.open_link("https://example.com/terms")
    assert opened.urls == ["https://example.com/terms"]
    assert links.link_html("smb://evil/x", "x") == "x"
    assert links.link_html('https://e.com/"><b>x', '<b>') .count("<b>") == 0


def _rich(text: str, fmt: Qt.TextFormat) -> bool:
    from PySide6.QtGui import Qt as GuiQt

    return fmt == Qt.TextFormat.RichText or (
        fmt == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text))


def _tooltips(widget: QWidget) -> list[str]:
    tips = [widget.toolTip()]
    if isinstance(widget, QTreeWidget):
        it = QTreeWidgetItemIterator(widget)
        while it.value():
            item = it.value()
            tips += [item.toolTip(c) for c in range(widget.columnCount())]
            it += 1
    model = getattr(widget, "model", None)
    model = model() if callable(model) else None
    if model is not None and not isinstance(widget, QTreeWidget):
        for row in range(min(model.rowCount(), 50)):
            for col in range(model.columnCount()):
                tips.append(str(model.data(model.index(row, col), Qt.ItemDataRole.ToolTipRole)
                                or ""))
    return tips


def test_no_label_or_tooltip_renders_page_or_declaration_markup(
        qtbot, db, data_dir, server, monitor_factory) -> None:  # noqa: ANN001
    hostile_platform(db, server, monitor_factory)
    Platform.update(name=EVIL_NAME).execute()
    window = MainWindow(db, data_dir)
    qtbot.addWidget(window)
    window.show()
    window.refresh()
    views: list[QWidget] = [window]
    for document in Document.select():
        window.sidebar.select(f"d:{document.id}")
        window.timeline.checks.reload()
        views += [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    version = Version.select().first()
    evidence = EvidenceDialog(version.id)
    qtbot.addWidget(evidence)
    views.append(evidence)
    window.feed.platform.setCurrentIndex(window.feed.platform.findData("acme"))
    for view in views:
        for widget in [view, *view.findChildren(QWidget)]:
            if isinstance(widget, QLabel) and _rich(widget.text(), widget.textFormat()):
                assert MARK not in widget.text() and "file:///" not in widget.text(), \
                    (type(widget.parent()).__name__, widget.text())
            for tip in _tooltips(widget):
                if _rich(tip, Qt.TextFormat.AutoText):
                    assert MARK not in tip and 'href="file' not in tip, tip


# --- 8. a damaged database at start -------------------------------------------------------------


def test_the_app_offers_a_backup_or_a_fresh_database(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    from watcher_app.store.db import DatabaseCorrupt
    from watcher_app.ui.recovery import RecoveryDialog, open_or_recover

    folder = tmp_path / "data"
    db = open_database(folder)
    add_custom(db, "acme", {"name": "Acme", "terms": {
        "Privacy Policy": {"fetch": "http://127.0.0.1:9/p"}}})
    db.close()
    database = folder / DB_FILENAME
    backup = folder / "watcher.schema1-20240101-000000.sqlite3"
    backup.write_bytes(database.read_bytes())
    garbage = os.urandom(database.stat().st_size)
    database.write_bytes(garbage)

    asked: list = []

    def click(button: str):  # noqa: ANN202
        def ask(error: DatabaseCorrupt):  # noqa: ANN202
            dialog = RecoveryDialog(error)
            qtbot.addWidget(dialog)
            asked.append(dialog)
            QTimer.singleShot(0, lambda: getattr(dialog, button).click())
            dialog.exec()
            return dialog.choice()
        return ask

    assert open_or_recover(folder, ask=click("quit_button")) is None
    assert database.read_bytes() == garbage  # quitting leaves everything as it was
    text = asked[0].text() + asked[0].informativeText()
    assert str(database) in text and "damaged" in text and asked[0].backup_button is not None
    assert asked[0].textFormat() == Qt.TextFormat.PlainText

    reopened = open_or_recover(folder, ask=click("backup_button"))
    assert reopened is not None and Platform.get().name == "Acme"  # the backup's content
    reopened.close()
    damaged = list(folder.glob("watcher.damaged-*.sqlite3"))
    assert len(damaged) == 1 and damaged[0].read_bytes() == garbage  # kept aside, intact
    assert backup.exists()  # the backup itself stays

    database.write_bytes(garbage)
    fresh = open_or_recover(folder, ask=click("fresh_button"))
    assert fresh is not None and Platform.select().count() == 0
    fresh.close()
    assert len(list(folder.glob("watcher.damaged-*.sqlite3"))) == 2


def test_the_recovery_dialog_without_backups(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    from watcher_app.store.db import DatabaseCorrupt
    from watcher_app.ui.recovery import RecoveryDialog

    error = DatabaseCorrupt(tmp_path / DB_FILENAME, "it is not a SQLite database")
    dialog = RecoveryDialog(error)
    qtbot.addWidget(dialog)
    assert dialog.backup_button is None and "no backup" in dialog.informativeText()
    assert dialog.escapeButton() is dialog.quit_button
    assert isinstance(dialog, QMessageBox)


# --- 7 and 11 in the app: exports ----------------------------------------------------------------


def test_the_apps_exports_refuse_the_data_folder_and_are_private(
        qtbot, db, data_dir, acme, tmp_path: Path) -> None:  # noqa: ANN001
    from tests.ui.conftest import add_versions, changed_paragraphs
    from watcher_app.export import ExportRefused
    from watcher_app.ui.evidence import RawSnapshotDialog
    from watcher_app.ui.exports import export_timeline, save_report_pdf

    change = add_versions(acme, ["\n".join(PARAGRAPHS), "\n".join(changed_paragraphs())])[0]
    database = data_dir / DB_FILENAME
    before = database.read_bytes()
    for attempt in (lambda p: export_timeline(acme.id, p), lambda p: save_report_pdf(change.id, p)):
        with pytest.raises(ExportRefused, match="inside the data folder"):
            attempt(database)
        with pytest.raises(ExportRefused):
            attempt(data_dir / "elsewhere.csv")
    assert database.read_bytes() == before
    outs = [export_timeline(acme.id, tmp_path / "t.csv"),
            save_report_pdf(change.id, tmp_path / "r.pdf")]
    snap = type("Snap", (), {"url": "http://x/", "sha256": "0" * 64, "content_type": "text/html",
                             "fetched_at": None, "http_status": 200})()
    raw = RawSnapshotDialog(snap, b"<p>raw</p>", save_path=lambda: str(database))
    qtbot.addWidget(raw)
    box: list[QWidget] = []
    QTimer.singleShot(0, lambda: box.append(QApplication.activeModalWidget()) or box[0].close())
    raw.save()  # refused with a message, the database untouched
    assert database.read_bytes() == before and box and "data folder" in box[0].text()
    raw._save_path = lambda: str(tmp_path / "snap.html")
    raw.save()
    outs.append(tmp_path / "snap.html")
    if os.name == "posix":
        assert all(p.stat().st_mode & 0o777 == 0o600 for p in outs)


# --- 1 in the app: importing over an existing id asks --------------------------------------


def test_importing_over_an_existing_id_asks(qtbot, db, acme, server, tmp_path: Path) -> None:  # noqa: ANN001
    import json as _json

    from watcher_app.ui.picker import ask_import

    other = tmp_path / "acme.json"
    other.write_text(_json.dumps({"name": "Acme <b>Bold</b>", "terms": {
        "Privacy Policy": {"fetch": "https://elsewhere.example/privacy"}}}))
    parent = QWidget()
    qtbot.addWidget(parent)
    asked: list[str] = []

    def answer(button: QMessageBox.StandardButton) -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox) and box.textFormat() == Qt.TextFormat.PlainText
        asked.append(box.text())
        box.button(button).click()

    QTimer.singleShot(0, lambda: answer(QMessageBox.StandardButton.No))
    assert ask_import(parent, db, str(other)) == (None, "")
    assert "hosts added: elsewhere.example" in asked[0] and "Acme <b>Bold</b>" in asked[0]
    assert Platform.get_by_id("acme").name == "Acme Cloud"  # unchanged
    QTimer.singleShot(0, lambda: answer(QMessageBox.StandardButton.Yes))
    plat, error = ask_import(parent, db, str(other))
    assert plat is not None and not error and Platform.get_by_id("acme").name == "Acme <b>Bold</b>"


def test_a_private_address_is_noted_in_the_timeline(qtbot, db, data_dir, acme) -> None:  # noqa: ANN001
    window = MainWindow(db, data_dir)
    qtbot.addWidget(window)
    window.sidebar.select(f"d:{acme.id}")
    assert "private or loopback address" in window.timeline.subtitle.text()
