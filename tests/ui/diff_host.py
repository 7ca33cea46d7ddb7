"""A bare side-by-side diff for the delegate and navigation tests: the real model, delegate,
find bar and navigation on a plain QListView, without DiffView's worker and database."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractItemView, QListView, QVBoxLayout, QWidget

from watcher_app.diff import diff_texts
from watcher_app.ui.diff_delegate import DiffDelegate, DiffModel
from watcher_app.ui.diff_nav import DiffNavigation, FindBar
from watcher_app.ui.diff_rows import build_rows

FILLER = [f"Paragraph {i} says something unchanged about the service and its users."
          for i in range(12)]
OLD = ["# Privacy Policy", "We collect your name and email address when you register.",
       *FILLER[:6], "We keep conversations for thirty days after you delete them.",
       "We never sell your personal data to anyone, for any purpose.", *FILLER[6:],
       "## Your rights", "You may ask for a copy of your data at any time."]
NEW = ["# Privacy Policy", "We never sell your personal data to anyone, for any purpose.",
       "We collect your name, email address and phone number when you register.",
       *FILLER[:6], "We keep conversations for five years after you delete them.",
       *FILLER[6:], "We may train our models on your conversations.",
       "## Your rights", "You may ask for a copy of your data at any time."]


class DiffHost(DiffNavigation, QWidget):
    """What DiffView gives DiffNavigation: `view`, `model`, `delegate` and `find_bar`."""

    def __init__(self, old: list[str] = OLD, new: list[str] = NEW) -> None:  # noqa: B006
        super().__init__()
        self.model = DiffModel()
        self.view = QListView()
        self.view.setModel(self.model)
        self.delegate = DiffDelegate(self.view, self.model)
        self.view.setItemDelegate(self.delegate)
        self.view.setUniformItemSizes(False)
        self.view.setWordWrap(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.find_bar = FindBar()
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.find_bar)
        self.find_bar.search.connect(self._find)
        self.find_bar.term_changed.connect(self._set_term)
        self.model.set_rows(build_rows(diff_texts("\n".join(old), "\n".join(new))))
        self.resize(900, 600)

    def _update_position(self, *_: object) -> None:
        """DiffView shows "Change 2 of 8" here; nothing to show in the bare host."""

    def set_changes_only(self, on: bool) -> None:
        self.model.changes_only = on
        self.model.relayout()
