"""The timeline of one document (ui/timeline.py), on versions and checks recorded by the real
monitor from the loopback server: the entries and their kinds, the header (health, URL, the
interval), the check history with its greyed "no alert" rows, what Enter, a click and the
buttons open, and a refresh after a new version."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics

from tests.loopback import LoopbackServer
from tests.ui.conftest import changed_paragraphs, make_window, policy_html, record_change
from watcher_app.store.models import Document
from watcher_app.ui import queries, theme
from watcher_app.ui.timeline import TimelineView, _kind_label, two_lines

CHALLENGE = ("<!doctype html><html><head><title>Just a moment...</title></head><body><main>"
             "<p>Checking your browser before accessing the site.</p></main></body></html>")


def make_timeline(qtbot) -> TimelineView:  # noqa: ANN001
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    return view


def record_blocked(acme: Document, server: LoopbackServer, monitor_factory) -> None:  # noqa: ANN001
    """A bot challenge served with 200: a blocked check, no version."""
    server.route("/privacy", CHALLENGE)
    assert monitor_factory().check(Document.get_by_id(acme.id)).status == "blocked"


def test_timeline_greys_noise_and_opens_evidence(qtbot, db, data_dir, acme, server,  # noqa: ANN001
                                                 monitor_factory) -> None:  # noqa: ANN001
    record_change(acme, server, monitor_factory)
    window = make_window(qtbot, db, data_dir)
    window.sidebar.select(f"d:{acme.id}")
    timeline = window.timeline
    entries = timeline.versions.rows
    assert [e.kind for e in entries] == ["change", "noise", "first"]
    assert [e.number for e in entries] == [3, 2, 1]
    assert not entries[1].alerted and entries[0].alerted
    labels = [queries.check_label(c) for c in timeline.checks.rows]
    assert ("Noise only (no alert)", True) in labels
    # keyboard: Down walks the timeline, the buttons follow the selection
    timeline.list.setFocus()
    qtbot.keyClick(timeline.list, Qt.Key.Key_Down)
    assert timeline.current_entry() is entries[1]
    qtbot.keyClick(timeline.list, Qt.Key.Key_Down)
    assert timeline.current_entry() is entries[2] and not timeline.diff_btn.isEnabled()
    opened: list[int] = []
    timeline.evidence_requested.connect(opened.append)
    timeline.evidence_btn.click()
    assert opened == [entries[2].version_id]




def test_header_and_check_history(qtbot, acme, server, monitor_factory) -> None:  # noqa: ANN001
    record_change(acme, server, monitor_factory)
    record_blocked(acme, server, monitor_factory)
    view = make_timeline(qtbot)
    view.show_document(acme.id)
    assert view.title.text() == "Acme Cloud \u2014 Privacy Policy"
    subtitle = view.subtitle.text()
    assert server.url("/privacy") in subtitle
    assert "Blocked: bot challenge (Cloudflare)" in subtitle
    assert "checked every 6 h" in subtitle and "(own interval)" not in subtitle
    # the loopback address is allowed only because the user declared it: the header says so
    assert "a private or loopback address" in subtitle
    checks = view.checks
    labels = [checks.data(checks.index(r, 1)) for r in range(checks.rowCount())]
    assert labels == ["Blocked", "Changed", "Noise only (no alert)", "First capture"]
    assert checks.data(checks.index(0, 3)).startswith("bot challenge (Cloudflare)")
    assert checks.data(checks.index(0, 2)) == "200"
    fg = Qt.ItemDataRole.ForegroundRole
    assert checks.data(checks.index(0, 0), fg) == theme.severity_text("medium")  # blocked
    assert checks.data(checks.index(2, 0), fg) == theme.muted_text()  # no alert: greyed
    assert checks.data(checks.index(1, 0), fg) is None
    # a document with its own interval says so
    Document.update(check_interval_s=3600).where(Document.id == acme.id).execute()
    view.refresh()
    assert "checked every 1 h (own interval)" in view.subtitle.text()


def test_enter_a_click_and_the_buttons_open_what_is_selected(qtbot, acme, server,  # noqa: ANN001
                                                            monitor_factory) -> None:  # noqa: ANN001
    change = record_change(acme, server, monitor_factory)
    view = make_timeline(qtbot)
    view.show_document(acme.id)
    entries = view.versions.rows
    assert view.current_entry() is entries[0] and view.diff_btn.isEnabled()
    opened: list[int] = []
    compared: list[tuple[int, int, int]] = []
    checks: list[object] = []
    view.open_change.connect(opened.append)
    view.compare_requested.connect(lambda d, o, n: compared.append((d, o, n)))
    view.check_requested.connect(checks.append)
    view.diff_btn.click()  # the newest entry is the recorded change
    assert opened == [change.id]
    view.list.setFocus()
    qtbot.keyClick(view.list, Qt.Key.Key_Down)
    assert opened == [change.id]  # moving the selection opens nothing
    qtbot.keyClick(view.list, Qt.Key.Key_Return)  # noise: compared with the version before
    assert compared == [(acme.id, entries[2].version_id, entries[1].version_id)]
    rect = view.list.visualRect(view.versions.index(0, 0))
    qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened == [change.id, change.id]  # a click on a change opens it
    view.list.setCurrentIndex(view.versions.index(2, 0))
    view.diff_btn.click()  # disabled on the first capture: nothing
    assert len(compared) == 1 and len(opened) == 2
    view.check_btn.click()
    assert checks == [[acme.id]]
    assert not view.list.grab().isNull()  # every entry paints (severity pill, greyed noise)


def test_refresh_shows_a_new_version_and_keeps_the_selected_row(qtbot, acme, server,  # noqa: ANN001
                                                                monitor_factory) -> None:  # noqa: ANN001
    record_change(acme, server, monitor_factory)
    view = make_timeline(qtbot)
    view.show_document(acme.id)
    view.list.setCurrentIndex(view.versions.index(1, 0))
    again = changed_paragraphs()
    again[0] = again[0].replace("payment details", "precise location")  # a real change
    server.route("/privacy", policy_html(again))
    result = monitor_factory().check(Document.get_by_id(acme.id))
    assert result.status == "changed", result
    view.refresh()
    assert [e.kind for e in view.versions.rows] == ["change", "change", "noise", "first"]
    assert [e.number for e in view.versions.rows] == [4, 3, 2, 1]
    assert view.list.currentIndex().row() == 1
    assert view.checks.rowCount() == 4
    view.fold_box.setChecked(True)  # no archived history to unfold: the same live entries
    assert view.versions.rowCount() == 4
    view.show_document(acme.id)  # navigating to it (from the sidebar) starts at the newest
    assert view.list.currentIndex().row() == 0


def test_a_first_capture_after_an_archive_says_so() -> None:
    entry = queries.TimelineEntry(1, None, None, "first", True, 10)  # type: ignore[arg-type]
    assert _kind_label(entry) == "First capture"
    entry.note = "matches Open Terms Archive's record of 2026-08-20"
    assert _kind_label(entry) == "First live capture \u2014 no alert"
    entry.kind = "noise"
    assert _kind_label(entry) == "Noise only \u2014 no alert"


def test_two_lines_wraps_at_words_and_elides_the_rest(qtbot) -> None:  # noqa: ANN001
    view = make_timeline(qtbot)
    fm = QFontMetrics(view.font())
    width = fm.horizontalAdvance("m" * 30)
    assert two_lines(fm, "Short summary.", width) == ["Short summary."]
    text = " ".join(f"word{k}" for k in range(60))
    first, second = two_lines(fm, text, width)
    assert text.startswith(first) and fm.horizontalAdvance(first) <= width
    assert second.endswith("\u2026") and fm.horizontalAdvance(second) <= width
    (only,) = two_lines(fm, "x" * 400, width)  # one word longer than the line
    assert only.endswith("\u2026")
