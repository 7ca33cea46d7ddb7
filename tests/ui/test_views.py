"""Feed filters and read state, the evidence panel and its citation, the raw snapshot, the
notification log, and the main window's keyboard navigation, on versions recorded by the real
monitor from the loopback server. (The timeline's own tests are in test_timeline.py.)"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from tests.ui.conftest import changed_paragraphs, make_window, policy_html, record_change
from watcher_app import APP_NAME
from watcher_app.store.models import Alert, Change, Check, Version
from watcher_app.ui import queries
from watcher_app.ui.evidence import EvidenceDialog, RawSnapshotDialog, _read_raw
from watcher_app.ui.main_window import ALERTS, FEED


def test_feed_filters_and_read_state(qtbot, db, data_dir, acme, server,  # noqa: ANN001
                                     monitor_factory) -> None:  # noqa: ANN001
    change = record_change(acme, server, monitor_factory)
    window = make_window(qtbot, db, data_dir)
    feed = window.feed
    assert window.stack.currentIndex() == FEED
    assert [r.change_id for r in feed.model.rows] == [change.id]
    headers = [feed.model.headerData(c, Qt.Orientation.Horizontal)
               for c in range(feed.model.columnCount())]
    assert headers == ["Detected", "Platform", "Document", "Severity", "Summary", "Size"]
    assert feed.model.data(feed.model.index(0, 1)) == "Acme Cloud"
    assert feed.platform.findData("acme") > 0
    other = "low" if change.severity != "low" else "high"
    feed.severity.setCurrentIndex(feed.severity.findData(other))
    assert feed.model.rows == [] and feed.stack.currentIndex() == 1  # the empty state
    feed.severity.setCurrentIndex(0)
    feed.unread_only.setChecked(True)
    assert len(feed.model.rows) == 1
    feed.table.selectRow(0)
    assert "Acme Cloud" in feed.preview.toPlainText()
    with qtbot.waitSignal(feed.read_changed):  # the write runs in the thread pool
        feed.read_action.trigger()  # Ctrl+M
    assert Change.get_by_id(change.id).read
    assert feed.model.rows == []
    feed.unread_only.setChecked(False)
    feed.table.selectRow(0)
    with qtbot.waitSignal(feed.read_changed):
        feed.unread_action.trigger()  # Ctrl+U
    assert not Change.get_by_id(change.id).read
    font = feed.model.data(feed.model.index(0, 0), Qt.ItemDataRole.FontRole)
    assert font is not None and font.bold()
    with qtbot.waitSignal(feed.read_changed):
        feed.mark_all_read()
    assert queries.feed_page(queries.FeedFilter(unread_only=True), 0) == []


def test_evidence_and_citation(qtbot, db, acme, server, monitor_factory) -> None:  # noqa: ANN001
    change = record_change(acme, server, monitor_factory)
    version = Version.get_by_id(change.to_version_id)
    dialog = EvidenceDialog(version.id)
    qtbot.addWidget(dialog)
    ev = dialog.ev
    assert ev.number == 3 and ev.total == 3 and len(ev.snapshots) == 1
    text = dialog.copy_citation()
    assert QGuiApplication.clipboard().text() == text
    assert "Acme Cloud" in text and "Privacy Policy" in text and server.url("/privacy") in text
    assert version.sha256 in text and ev.snapshots[0].sha256 in text
    assert APP_NAME in text and "UTC" in text and "HTTP 200" in text
    snap, raw = _read_raw(ev.snapshots[0].id)
    assert raw == policy_html(changed_paragraphs()).encode()
    raw_view = RawSnapshotDialog(snap, raw, save_path=lambda: "")
    qtbot.addWidget(raw_view)
    assert "<main>" in raw_view.text.toPlainText()


def test_notification_log_lists_alerts(qtbot, db, data_dir, acme, server,  # noqa: ANN001
                                       monitor_factory) -> None:  # noqa: ANN001
    change = record_change(acme, server, monitor_factory)
    Alert.create(kind="change", change=change, document=acme, title="Acme changed",
                 channel="banner", delivered=True, detail="fell back to banner")
    Alert.create(kind="failure", document=acme, title="Acme failing", channel="none",
                 delivered=False, detail="no channel could show it")
    window = make_window(qtbot, db, data_dir)
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentIndex() == ALERTS
    log = window.alerts
    assert [a.title for a in log.model.rows] == ["Acme failing", "Acme changed"]
    assert log.model.data(log.model.index(1, 3)) == "In-app banner"
    opened: list[int] = []
    log.open_change.connect(opened.append)
    log._open(log.model.index(1, 0))
    assert opened == [change.id]
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentIndex() == FEED
    assert Check.select().count() == 3
