"""The diff view: computed off the GUI thread, next/previous change with N / P, folds in
"changes only", inline mode, find, copy, comparing any two versions, and the analysis panel."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from tests.ui.conftest import add_versions
from watcher_app.store.models import Document
from watcher_app.ui.diff_rows import Fold
from watcher_app.ui.diff_view import DiffView

FILLER = [f"Paragraph {i} says something unchanged about the service and its users."
          for i in range(60)]
OLD = ["# Privacy Policy", "We collect your name and email address when you register.",
       *FILLER[:20], "We keep conversations for thirty days after you delete them.",
       *FILLER[20:40], "We never sell your personal data to anyone, for any purpose.",
       *FILLER[40:]]
NEW = ["# Privacy Policy", "We never sell your personal data to anyone, for any purpose.",
       "We collect your name, email address and phone number when you register.",
       *FILLER[:20], "We keep conversations for five years after you delete them.",
       *FILLER[20:40], "We may train our models on your conversations.", *FILLER[40:]]
ANALYSIS = {"severity_reason": "retention period extended",
            "category_hits": [{"name": "data-retention", "score": 3.0,
                               "evidence": ["rewords: \u201cthirty days\u201d"]}],
            "sections": [{"path": ["Privacy Policy"], "added": 1, "removed": 0, "changed": 2}],
            "added_sentences": ["We may train our models on your conversations."],
            "removed_sentences": []}


def open_diff(qtbot, change_id: int) -> DiffView:  # noqa: ANN001
    view = DiffView()
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    with qtbot.waitSignal(view.ready, timeout=10_000):
        view.show_change(change_id)
        assert view.stack.currentIndex() == 0  # the progress page while the worker runs
    qtbot.waitUntil(lambda: view.current_stop() == 0, timeout=5000)
    return view


def test_n_and_p_walk_the_changes(qtbot, acme: Document) -> None:
    (change,) = add_versions(acme, ["\n".join(OLD), "\n".join(NEW)], analysis=ANALYSIS)
    view = open_diff(qtbot, change.id)
    stops = view.model.stops
    assert len(stops) >= 3
    kinds = {view.model.rows[i].kind for i in view.model.items if isinstance(i, int)}
    assert {"moved_here", "moved_away", "replace", "insert"} <= kinds
    assert view.position.text() == f"Change 1 of {len(stops)}"
    view.view.setFocus()
    qtbot.keyClick(view.view, Qt.Key.Key_N)
    assert view.current_stop() == 1
    qtbot.keyClick(view.view, Qt.Key.Key_N)
    assert view.current_stop() == 2
    qtbot.keyClick(view.view, Qt.Key.Key_P)
    assert view.current_stop() == 1
    view.prev_btn.click()
    assert view.current_stop() == 0
    view.prev_btn.click()  # already at the first change: stays
    assert view.current_stop() == 0
    assert view.position.text() == f"Change 1 of {len(stops)}"
    # the analysis panel shows what the analysis found
    html = " ".join(view.analysis.toPlainText().split())
    assert "Severity: Medium" in html and "Why: retention period extended" in html
    assert "Data retention" in html and "Change 1" in html


def test_changes_only_folds_and_expands(qtbot, acme: Document) -> None:
    (change,) = add_versions(acme, ["\n".join(OLD), "\n".join(NEW)])
    view = open_diff(qtbot, change.id)
    full = len(view.model.items)
    view.changes_only.setChecked(True)
    folds = [i for i in view.model.items if isinstance(i, Fold)]
    assert folds and len(view.model.items) < full
    pos = view.model.items.index(folds[0])
    view._activated(view.model.index(pos, 0))  # a click on the fold
    assert folds[0] not in view.model.items
    assert all(r in view.model.items for r in range(folds[0].start, folds[0].end))


def test_inline_find_and_copy(qtbot, acme: Document) -> None:
    (change,) = add_versions(acme, ["\n".join(OLD), "\n".join(NEW)])
    view = open_diff(qtbot, change.id)
    view.inline_box.setChecked(True)
    assert view.delegate.inline and not view.old_head.isVisible()
    qtbot.keyClick(view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.find_bar.isVisible()
    view.find_bar.edit.setText("five years")
    with qtbot.waitSignal(view.find_bar.term_changed, timeout=2000):
        pass
    row = view.model.rows[view.model.item_at(view.view.currentIndex().row())]
    assert "five years" in row.new_text
    assert view.find_bar.count.text() == "1 of 1"
    assert view.copy_selection("new") == row.new_text
    assert QGuiApplication.clipboard().text() == row.new_text
    assert view.copy_selection("old") == row.old_text
    assert view.copy_selection("diff").startswith("- ")
    qtbot.keyClick(view.find_bar.edit, Qt.Key.Key_Escape)
    assert not view.find_bar.isVisible() and view.delegate.term == ""


def test_compare_any_two_versions(qtbot, acme: Document) -> None:
    third = "\n".join(NEW + ["A closing paragraph added in the third version of the text."])
    first, second = add_versions(acme, ["\n".join(OLD), "\n".join(NEW), third])
    view = open_diff(qtbot, second.id)
    assert view.old_combo.count() == 3
    with qtbot.waitSignal(view.ready, timeout=10_000):
        view.old_combo.setCurrentIndex(0)  # v1 → v3: no single recorded change
    assert view.change is None
    assert "not consecutive" in view.analysis.toPlainText()
    evidence: list[int] = []
    view.evidence_requested.connect(evidence.append)
    view.evidence_btn.click()
    assert evidence == [second.to_version_id]


def test_a_large_diff_loads_in_the_background(qtbot, acme: Document) -> None:
    words = "data user service account content policy share retain law request".split()
    old = [" ".join(words[(i + k) % len(words)] for k in range(12)) + f" clause {i}."
           for i in range(2600)]
    new = list(old)
    for k in range(0, len(new), 50):
        new[k] = new[k].replace("data", "personal data and metadata", 1)
    old_text, new_text = "\n".join(old), "\n".join(new)
    assert len(old_text) > 200_000
    (change,) = add_versions(acme, [old_text, new_text])
    view = open_diff(qtbot, change.id)
    assert len(view.model.stops) == len(range(0, len(new), 50))
    view.next_change()
    assert view.current_stop() == 1
