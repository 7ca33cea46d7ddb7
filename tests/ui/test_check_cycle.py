"""A whole check cycle through the app: the scheduler's worker checks a page served on the
loopback, the page changes, and the change shows up in the feed (unread, bold), the sidebar,
the timeline, the banner and the diff."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.loopback import LoopbackServer
from tests.ui.conftest import changed_paragraphs, policy_html
from watcher_app.store.models import Alert, Change, Check, Document, Version
from watcher_app.ui.main_window import DIFF, TIMELINE


def run_checks(qtbot, controller, ids=None) -> None:  # noqa: ANN001
    with qtbot.waitSignal(controller.hub.idle, timeout=20_000):
        controller.check_now(ids)
    controller.window.refresh()


def test_change_flows_to_every_view(qtbot, controller, acme: Document,
                                    server: LoopbackServer) -> None:
    window = controller.window
    controller.start(show=True)
    started: list[int] = []
    controller.hub.check_started.connect(started.append)
    run_checks(qtbot, controller)
    assert started == [acme.id]
    assert Version.select().count() == 1
    assert window.sidebar.docs[acme.id].health == "ok"
    assert window.feed.model.rows == []  # a first version is not a change

    server.route("/privacy", policy_html(changed_paragraphs()))
    run_checks(qtbot, controller, [acme.id])
    change = Change.get()
    assert not change.read

    # feed: the change, unread, in bold
    window.feed.refresh()
    rows = window.feed.model.rows
    assert [r.change_id for r in rows] == [change.id]
    font = window.feed.model.data(window.feed.model.index(0, 1), Qt.ItemDataRole.FontRole)
    assert font is not None and font.bold()
    # sidebar badge and the tray's unread count
    assert window.sidebar.unread_for(f"d:{acme.id}") == 1
    assert controller.tray is not None and controller.tray.unread == 1
    # no native service and no tray balloons offscreen: the alert fell back to the banner
    qtbot.waitUntil(window.banner.isVisible, timeout=5000)
    assert "changed" in window.banner.text.text()
    alert = Alert.get(Alert.kind == "change")
    assert alert.channel == "banner" and alert.delivered and alert.change_id == change.id

    # timeline: both versions, newest first, the change on top
    window.sidebar.select(f"d:{acme.id}")
    assert window.stack.currentIndex() == TIMELINE
    entries = window.timeline.versions.rows
    assert [e.kind for e in entries] == ["change", "first"]
    assert entries[0].change_id == change.id and not entries[0].read
    outcomes = [c.outcome for c in Check.select().order_by(Check.id)]
    assert outcomes == ["first", "changed"]
    assert window.timeline.checks.rows[0].outcome == "changed"

    # clicking the change opens its diff and marks it read; Back returns to the timeline
    rect = window.timeline.list.visualRect(window.timeline.versions.index(0, 0))
    with qtbot.waitSignal(window.diff.ready, timeout=10_000):
        qtbot.mouseClick(window.timeline.list.viewport(), Qt.MouseButton.LeftButton,
                         pos=rect.center())
    assert window.stack.currentIndex() == DIFF
    assert len(window.diff.model.stops) >= 1
    qtbot.waitUntil(lambda: Change.get_by_id(change.id).read)  # marked off the GUI thread
    window.diff.back_btn.click()
    assert window.stack.currentIndex() == TIMELINE


def test_failed_check_marks_the_document_failing(qtbot, controller, acme: Document,
                                                 server: LoopbackServer) -> None:
    server.route("/privacy", "gone", status=404)
    controller.start(show=False)
    run_checks(qtbot, controller)
    doc = controller.window.sidebar.docs[acme.id]
    assert doc.health in ("failing", "blocked")
    assert controller.window.sidebar.platforms["acme"].health == doc.health
    assert "Checking" not in controller.window.status_text.text()


def test_tray_message_click_opens_the_diff(qtbot, controller, acme: Document,
                                           server: LoopbackServer) -> None:
    controller.hub.tray_ok = True  # as on a desktop whose tray shows balloons
    controller.start(show=False)
    run_checks(qtbot, controller)
    server.route("/privacy", policy_html(changed_paragraphs()))
    run_checks(qtbot, controller)
    change = Change.get()
    assert Alert.get(Alert.kind == "change").channel == "tray"
    tray = controller.tray
    qtbot.waitUntil(lambda: tray.message_change == change.id, timeout=5000)
    with qtbot.waitSignal(controller.window.diff.ready, timeout=10_000):
        tray._message_clicked()
    assert controller.window.isVisible()
    assert controller.window.stack.currentIndex() == DIFF
    assert controller.window.diff.change is not None
    assert controller.window.diff.change.id == change.id
