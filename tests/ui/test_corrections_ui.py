"""Severity with its reason, and the user's correction, in the app: the analysis panel (reason,
findings, escaped), the correction dialog (save, refuse, reset, off the GUI thread), the feed
(the user's rating, filters by it, tooltip), the diff view and the timeline."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QApplication

from tests.support.judged import HOSTILE, WHY, add_flip
from watcher_app import corrections
from watcher_app.store.models import Change, Document
from watcher_app.ui import queries
from watcher_app.ui.analysis_panel import AnalysisPanel
from watcher_app.ui.correction_dialog import CorrectionDialog


def _stored(change_id: int) -> Change:
    return Change.get_by_id(change_id)


def _text(panel: AnalysisPanel) -> str:
    """The panel's text with its non-breaking spaces and runs of spaces as one space."""
    return re.sub(r"[ \xa0]+", " ", panel.toPlainText())


def _dialogs() -> list[CorrectionDialog]:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, CorrectionDialog) and w.isVisible()]


def test_panel_shows_the_reason_then_the_findings_as_text(qtbot, acme: Document) -> None:  # noqa: ANN001
    change = add_flip(acme)
    panel = AnalysisPanel()
    qtbot.addWidget(panel)
    panel.show_change(queries.change_info(change.id), "Acme Cloud — Privacy Policy")
    text = _text(panel)
    why = text.index(f"Why: {WHY}")
    findings = text.index("What changed for users")
    assert text.index("Severity: High") < why < findings < text.index("Summary")
    assert "AI training on users' data is now on by default (users must opt out) · High" in text
    assert "Data is kept for less time (30 days → 7 days) · Medium · in users' favour" in text
    assert "“your chats for 30 days” → “your chats for 7 days”" in text
    assert "Correct severity and topics…" in text and "Reset" not in text
    # markup in a clause is shown as the characters it is, never as a link
    assert HOSTILE in text
    assert 'href="file:' not in panel.toHtml() and "file:///etc/passwd" in text


def test_dialog_saves_a_correction_off_the_gui_thread(qtbot, acme: Document) -> None:  # noqa: ANN001
    change = add_flip(acme)
    app_reading = (_stored(change.id).severity, _stored(change.id).categories)
    dialog = CorrectionDialog(queries.change_info(change.id))
    qtbot.addWidget(dialog)
    assert dialog.chosen_severity() == "high"
    assert dialog.chosen_topics() == ["ai-training", "data-retention"]
    assert not dialog.reset_btn.isEnabled()  # nothing to reset yet
    assert f"The app's reading: High — {WHY}" in next(
        label.text() for label in dialog.findChildren(type(dialog.error))
        if label.text().startswith("The app's reading"))
    dialog.severity_buttons["medium"].setChecked(True)
    dialog.topic_boxes["data-retention"].setChecked(False)
    dialog.topic_boxes["minors"].setChecked(True)
    dialog.note.setPlainText("Only <i>new</i> chats")
    with qtbot.waitSignal(dialog.saved, timeout=10_000) as saved:
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert saved.args == [change.id]
    assert dialog.result() == dialog.DialogCode.Accepted
    stored = _stored(change.id)
    assert (stored.user_severity, stored.user_categories, stored.user_note) == (
        "medium", ["ai-training", "minors"], "Only <i>new</i> chats")
    assert (stored.severity, stored.categories) == app_reading  # the app's reading stays


def test_dialog_refuses_no_topic_and_stores_nothing(qtbot, acme: Document) -> None:  # noqa: ANN001
    change = add_flip(acme)
    dialog = CorrectionDialog(queries.change_info(change.id))
    qtbot.addWidget(dialog)
    dialog.show()
    for box in dialog.topic_boxes.values():
        box.setChecked(False)
    dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert dialog.error.isVisible() and "at least one topic" in dialog.error.text()
    assert dialog.isVisible() and _stored(change.id).corrected_at is None


def test_dialog_reset_returns_to_the_app_reading(qtbot, acme: Document) -> None:  # noqa: ANN001
    change = add_flip(acme)
    corrections.correct_change(change.id, severity="low", categories="editorial", note="n")
    dialog = CorrectionDialog(queries.change_info(change.id))
    qtbot.addWidget(dialog)
    assert dialog.chosen_severity() == "low" and dialog.chosen_topics() == ["editorial"]
    assert dialog.note.toPlainText() == "n" and dialog.reset_btn.isEnabled()
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        dialog.reset_btn.click()
    stored = _stored(change.id)
    assert (stored.user_severity, stored.user_categories, stored.user_note,
            stored.corrected_at) == (None, None, None, None)


def test_feed_shows_and_filters_by_the_user_rating(qtbot, acme: Document) -> None:  # noqa: ANN001
    from watcher_app.ui.feed import FeedView

    change = add_flip(acme)
    feed = FeedView()
    qtbot.addWidget(feed)
    model = feed.model
    assert model.data(model.index(0, 3)) == "High"
    tip = model.data(model.index(0, 1), Qt.ItemDataRole.ToolTipRole)
    assert "Severity: High" in tip and "Why: AI training on users&#x27; data" in tip
    assert "&lt;a href=" in tip  # the clause's markup, escaped in the (rich-text) tooltip

    # "Correct severity and topics…" (the feed's context menu calls this)
    feed.correct(change.id)
    [dialog] = _dialogs()
    dialog.severity_buttons["low"].setChecked(True)
    with qtbot.waitSignal(feed.corrected, timeout=10_000):
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert model.data(model.index(0, 3)) == "Low (yours)"
    tip = model.data(model.index(0, 4), Qt.ItemDataRole.ToolTipRole)
    assert "Severity: Low (your rating; the app said High)" in tip
    assert "Why the app said High:" in tip
    # the filters use the effective severity
    feed.severity.setCurrentIndex(feed.severity.findData("high"))
    assert model.rowCount() == 0
    feed.severity.setCurrentIndex(feed.severity.findData("low"))
    assert model.rowCount() == 1
    feed.table.selectRow(0)
    preview = _text(feed.preview)
    assert "Severity: Low your rating (the app said High)" in preview
    assert f"Why the app said High: {WHY}" in preview
    assert "Reset to the app’s reading" in preview

    # reset from the preview's link (no note: no question asked)
    with qtbot.waitSignal(feed.corrected, timeout=10_000):
        feed.preview.anchorClicked.emit(QUrl("reset:"))
    assert _stored(change.id).corrected_at is None
    feed.severity.setCurrentIndex(feed.severity.findData("high"))
    assert model.rowCount() == 1 and model.data(model.index(0, 3)) == "High"


def test_preview_link_opens_the_dialog(qtbot, acme: Document) -> None:  # noqa: ANN001
    from watcher_app.ui.feed import FeedView

    add_flip(acme)
    feed = FeedView()
    qtbot.addWidget(feed)
    feed.table.selectRow(0)
    feed.preview.anchorClicked.emit(QUrl("correct:"))
    [dialog] = _dialogs()
    assert dialog.windowTitle() == "Correct severity and topics"
    dialog.reject()


def test_diff_panel_correction_reaches_the_window(qtbot, acme: Document) -> None:  # noqa: ANN001
    from watcher_app.ui.diff_view import DiffView

    change = add_flip(acme)
    view = DiffView()
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.ready, timeout=10_000):
        view.show_change(change.id)
    assert f"Why: {WHY}" in _text(view.analysis)
    view.analysis.anchorClicked.emit(QUrl("correct:"))
    [dialog] = _dialogs()
    dialog.severity_buttons["medium"].setChecked(True)
    with qtbot.waitSignal(view.corrected, timeout=10_000):
        dialog.buttons.button(dialog.buttons.StandardButton.Save).click()
    assert "Severity: Medium your rating (the app said High)" in _text(view.analysis)
    assert view.change is not None and view.change.judgement.user_severity == "medium"


def test_timeline_entry_tooltip_has_the_reason(qtbot, acme: Document) -> None:  # noqa: ANN001
    from watcher_app.ui.timeline import TimelineView

    change = add_flip(acme)
    corrections.correct_change(change.id, categories="ai-training,minors")
    view = TimelineView()
    qtbot.addWidget(view)
    view.show_document(acme.id)
    model = view.versions
    [entry] = [e for e in model.rows if e.change_id == change.id]
    tip = model.data(model.index(model.rows.index(entry), 0), Qt.ItemDataRole.ToolTipRole)
    assert "Severity: High" in tip and "Why: AI training on users&#x27; data" in tip
    assert "Topics: AI training, Minors (yours; the app said AI training, Data retention)" in tip
    assert "Captured by this app." in tip and "&lt;a href=" in tip
