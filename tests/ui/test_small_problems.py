"""The smaller first-run problems of issue 10 that a widget test can show: the feed's preview
following the filter, the empty feed's words, counts in the singular."""

from __future__ import annotations

from tests.ui.conftest import PARAGRAPHS, add_versions
from watcher_app.store.models import Change, Document
from watcher_app.ui import theme
from watcher_app.ui.analysis_panel import AnalysisPanel
from watcher_app.ui.feed import PREVIEW_HINT
from watcher_app.ui.main_window import MainWindow


def test_the_preview_never_shows_a_row_the_filter_hid(qtbot, db, data_dir,  # noqa: ANN001
                                                       acme: Document) -> None:
    texts = ["\n".join(PARAGRAPHS), "\n".join(PARAGRAPHS[:4]),
             "\n".join(PARAGRAPHS[:4]) + "\nA new clause about arbitration of every dispute."]
    medium, high = add_versions(acme, texts)
    Change.update(severity="high", summary="The high one").where(Change.id == high.id).execute()
    window = MainWindow(db, data_dir)
    qtbot.addWidget(window)
    feed = window.feed
    assert {r.change_id for r in feed.model.rows} == {medium.id, high.id}
    row = next(k for k, r in enumerate(feed.model.rows) if r.change_id == medium.id)
    feed.table.selectRow(row)
    assert "Change 1" in feed.preview.toPlainText()  # the medium change's summary
    feed.severity.setCurrentIndex(feed.severity.findData("high"))
    assert [r.change_id for r in feed.model.rows] == [high.id]
    assert "Change 1" not in feed.preview.toPlainText()
    assert feed.preview.toPlainText() == PREVIEW_HINT
    # a filter hiding everything says so (not "No changes yet")
    feed.severity.setCurrentIndex(feed.severity.findData("low"))
    assert feed.stack.currentWidget() is feed.empty
    assert feed.empty.text() == "No change matches these filters."
    feed.severity.setCurrentIndex(0)
    assert len(feed.model.rows) == 2


def test_counts_are_singular_for_one() -> None:
    assert theme.plural(1, "word") == "1 word"
    assert theme.plural(2, "word") == "2 words"
    assert theme.plural(0, "change") == "0 changes"
    assert theme.plural(1200, "word") == "1,200 words"
    assert theme.change_size({"words_added": 1, "words_removed": 0}) == "+1 / \u22120 word"
    assert theme.change_size({"words_added": 3, "words_removed": 1}) == "+3 / \u22121 words"


def test_the_analysis_panel_says_1_word(qtbot) -> None:  # noqa: ANN001
    panel = AnalysisPanel()
    qtbot.addWidget(panel)
    html = panel._stats_html({"words_added": 1, "words_removed": 1, "lines_changed": 1},
                             {"reworded": 1})
    assert "1 word added" in html and "1 paragraph reworded" in html
    assert "1 sentence reworded" in html and "1 words" not in html
