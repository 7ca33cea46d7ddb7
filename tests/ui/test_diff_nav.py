"""Moving around a diff (ui/diff_nav.py) on the real model and delegate: next/previous change,
jumping to a heading through a fold, the find bar (debounced typing, Enter / Shift+Enter,
Escape, wrapping, counts) and copying the selected paragraphs of either side."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QToolButton

from tests.ui.diff_host import DiffHost
from watcher_app.ui.diff_nav import FindBar
from watcher_app.ui.diff_rows import Fold


def make_host(qtbot) -> DiffHost:  # noqa: ANN001
    host = DiffHost()
    qtbot.addWidget(host)
    host.show()
    return host


def current_row(host: DiffHost) -> int:
    item = host.model.item_at(host.view.currentIndex().row())
    assert isinstance(item, int)
    return item


def test_next_and_previous_change_stop_at_the_ends(qtbot) -> None:  # noqa: ANN001
    host = make_host(qtbot)
    assert host.current_stop() == -1  # nothing selected yet
    host.next_change()
    assert host.current_stop() == 0 and current_row(host) == 1
    host.next_change()
    host.next_change()
    assert host.current_stop() == 2 and current_row(host) == 17
    host.next_change()  # the last change: stays
    assert host.current_stop() == 2
    host.prev_change()
    assert host.current_stop() == 1 and current_row(host) == 9
    # a jump selects only its target, so Copy takes just that paragraph
    assert [i.row() for i in host.view.selectionModel().selectedIndexes()] == [9]
    host.view.setCurrentIndex(host.model.index(12, 0))  # inside an unchanged run
    assert host.current_stop() == 1  # the change above the cursor
    host.prev_change()
    assert host.current_stop() == 1 and current_row(host) == 9
    host.set_changes_only(True)  # the stops are positions in the folded list
    host.view.setCurrentIndex(host.model.index(0, 0))
    host.next_change()
    host.next_change()
    assert current_row(host) == 9


def test_jump_to_a_heading_unfolds_it(qtbot) -> None:  # noqa: ANN001
    host = make_host(qtbot)
    host.set_changes_only(True)
    host.jump_to_heading("Privacy Policy")
    assert current_row(host) == 0
    host.jump_to_heading("  Your rights ")
    assert current_row(host) == 18
    host.jump_to_heading("No such heading")  # nothing moves
    assert current_row(host) == 18
    # a heading inside a fold: the fold opens
    folded = ["# Terms", *[f"Clause {i} of the terms, unchanged." for i in range(8)],
              "## Liability", *[f"Clause {i} on liability, unchanged." for i in range(8)],
              "Fees are due monthly."]
    changed = folded[:-1] + ["Fees are due weekly."]
    host.model.set_rows(DiffHost(folded, changed).model.rows)
    assert host.model.items[0] == Fold(0, 17)  # both headings folded away
    host.jump_to_heading("Liability")
    assert current_row(host) == 9 and 9 in host.model.items


def test_find_walks_the_matches_both_ways_and_wraps(qtbot) -> None:  # noqa: ANN001
    host = make_host(qtbot)
    bar = host.find_bar
    host.set_changes_only(True)
    bar.open()
    assert bar.isVisible()
    with qtbot.waitSignal(bar.term_changed, timeout=2000) as typed:
        qtbot.keyClicks(bar.edit, "unchanged")  # one debounced signal for the whole word
    assert typed.args == ["unchanged"] and host.delegate.term == "unchanged"
    hits = [k for k, r in enumerate(host.model.rows) if "unchanged" in r.new_text]
    assert len(hits) == 12
    assert current_row(host) == hits[0] and bar.count.text() == f"1 of {len(hits)}"
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return)
    assert current_row(host) == hits[1] and bar.count.text() == f"2 of {len(hits)}"
    # the next match is folded away in "changes only": it is shown
    for _ in range(3):
        qtbot.keyClick(bar.edit, Qt.Key.Key_Return)
    assert current_row(host) == hits[4] and hits[4] in host.model.items
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert current_row(host) == hits[3]
    host.view.setCurrentIndex(host.model.index(host.model.items.index(hits[0]), 0))
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert current_row(host) == hits[-1]  # backwards from the first: wraps to the last
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return)
    assert current_row(host) == hits[0]  # forwards from the last: wraps to the first
    # matches either side, any case; nothing found says so
    host._find("THIRTY DAYS", False)
    assert current_row(host) == 9 and bar.count.text() == "1 of 1"
    bar.edit.setText("nowhere to be found")
    host._find("nowhere to be found", False)
    assert bar.count.text() == "No matches" and current_row(host) == 9
    qtbot.keyClick(bar.edit, Qt.Key.Key_Escape)
    assert not bar.isVisible() and bar.edit.text() == "" and host.delegate.term == ""


def test_the_find_bar_buttons_and_an_emptied_field(qtbot) -> None:  # noqa: ANN001
    bar = FindBar()
    qtbot.addWidget(bar)
    bar.open()
    searches: list[tuple[str, bool]] = []
    bar.search.connect(lambda term, back: searches.append((term, back)))
    bar.edit.setText("data")
    buttons = {b.accessibleName(): b for b in bar.findChildren(QToolButton)}
    previous, following = buttons["Previous match"], buttons["Next match"]
    previous.click()
    following.click()
    qtbot.keyClick(bar.edit, Qt.Key.Key_F3)
    assert searches == [("data", True), ("data", False), ("data", False)]
    bar.set_count(0, 0)
    assert bar.count.text() == "No matches"
    with qtbot.waitSignal(bar.term_changed, timeout=2000) as emptied:
        bar.edit.clear()
    assert emptied.args == [""] and bar.count.text() == ""
    assert searches[-1] == ("data", False)  # an emptied field searches for nothing
    buttons["Close find bar"].click()
    assert not bar.isVisible()


def test_copy_takes_the_selected_paragraphs_of_either_side(qtbot) -> None:  # noqa: ANN001
    host = make_host(qtbot)
    assert host.copy_selection("new") == ""  # nothing selected
    host.view.setCurrentIndex(host.model.index(9, 0))
    assert host.copy_selection("old") == (
        "We keep conversations for thirty days after you delete them.")
    selection = host.view.selectionModel()
    selection.select(host.model.index(17, 0), QItemSelectionModel.SelectionFlag.Select)
    assert [r.kind for r in host.selected_rows()] == ["replace", "insert"]
    new = host.copy_selection("new")
    assert new == ("We keep conversations for five years after you delete them.\n\n"
                   "We may train our models on your conversations.")
    assert QGuiApplication.clipboard().text() == new
    assert host.copy_selection("old") == (
        "We keep conversations for thirty days after you delete them.")  # no old side for 17
    assert host.copy_selection("diff") == (
        "- We keep conversations for thirty days after you delete them.\n"
        "+ We keep conversations for five years after you delete them.\n"
        "+ We may train our models on your conversations.")
    host.set_changes_only(True)  # a fold in the selection copies nothing of its own
    fold = next(k for k, i in enumerate(host.model.items) if isinstance(i, Fold))
    host.view.selectionModel().clearSelection()
    host.view.setCurrentIndex(host.model.index(fold, 0))
    assert host.selected_rows() == []
