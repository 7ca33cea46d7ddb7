"""Moving around a diff: next/previous change (N / P), find (Ctrl+F, Enter / Shift+Enter,
Escape), jumping to a heading, and copying the selected paragraphs of either side.

`DiffNavigation` is mixed into DiffView; it relies on its `view`, `model`, `delegate` and
`find_bar` attributes.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QToolButton,
    QWidget,
)

from watcher_app.ui import theme
from watcher_app.ui.diff_delegate import DiffDelegate, DiffModel
from watcher_app.ui.diff_rows import Fold, Row, display_prefix, side_text, unified
from watcher_app.ui.runtime import guarded


class _FindEdit(QLineEdit):
    step = Signal(bool)  # backwards?
    closed = Signal()

    @guarded()
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, shift = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F3):
            self.step.emit(shift)
        elif key == Qt.Key.Key_Escape:
            self.closed.emit()
        else:
            super().keyPressEvent(event)


class FindBar(QWidget):
    search = Signal(str, bool)  # term, backwards
    term_changed = Signal(str)  # for highlighting (debounced)

    def __init__(self) -> None:
        super().__init__()
        self.edit = _FindEdit()
        self.edit.setPlaceholderText("Find in both versions")
        self.edit.setAccessibleName("Find text")
        self.edit.setClearButtonEnabled(True)
        label = QLabel("F&ind:")
        label.setBuddy(self.edit)
        self.count = QLabel()
        self.count.setMinimumWidth(90)
        buttons = []
        for icon, tip, name in (("up", "Previous match (Shift+Enter)", "Previous match"),
                                ("down", "Next match (Enter)", "Next match")):
            button = QToolButton()
            button.setIcon(theme.icon(icon))
            button.setToolTip(tip)
            button.setAccessibleName(name)
            buttons.append(button)
        close_btn = QToolButton()
        close_btn.setText("\u2715")
        close_btn.setToolTip("Close (Escape)")
        close_btn.setAccessibleName("Close find bar")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 2, 0, 2)
        for w in (label, self.edit, *buttons, self.count):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(close_btn)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self._typed)
        self.edit.textChanged.connect(lambda _: self._debounce.start())
        self.edit.step.connect(lambda back: self.search.emit(self.edit.text(), back))
        self.edit.closed.connect(self.close_bar)
        buttons[0].clicked.connect(lambda: self.search.emit(self.edit.text(), True))
        buttons[1].clicked.connect(lambda: self.search.emit(self.edit.text(), False))
        close_btn.clicked.connect(self.close_bar)
        self.hide()

    def open(self) -> None:
        self.show()
        self.edit.setFocus()
        self.edit.selectAll()

    def close_bar(self) -> None:
        self.edit.clear()
        self.term_changed.emit("")
        self.hide()

    def set_count(self, current: int, total: int) -> None:
        self.count.setText(f"{current} of {total}" if total else
                           ("No matches" if self.edit.text() else ""))

    def _typed(self) -> None:
        term = self.edit.text()
        self.term_changed.emit(term)
        if term:
            self.search.emit(term, False)
        else:
            self.set_count(0, 0)


class DiffNavigation:
    position: QLabel  # "Change 2 of 8"
    view: QListView
    model: DiffModel
    delegate: DiffDelegate
    find_bar: FindBar

    def _update_position(self, *_: object) -> None:  # the widget shows "Change 2 of 8"
        raise NotImplementedError

    # --- changes ----------------------------------------------------------------------------

    def next_change(self) -> None:
        here = self.view.currentIndex().row()
        after = [s for s in self.model.stops if s > here]
        if after:
            self._go(after[0])
        else:
            self._edge("Last change \u2014 none after it" if self.model.stops
                       else "No differences")

    def prev_change(self) -> None:
        here = self.view.currentIndex().row()
        before = [s for s in self.model.stops if s < here]
        if before:
            self._go(before[-1])
        else:
            self._edge("First change \u2014 none before it" if self.model.stops
                       else "No differences")

    def _edge(self, text: str) -> None:
        """N past the last change or P before the first: say so where the position is shown,
        highlighted for a moment (a key that does nothing silently looks broken)."""
        self.position.setText(text)
        pal = QGuiApplication.palette()
        self.position.setStyleSheet(f"background: {pal.highlight().color().name()}; color: "
                                    f"{pal.highlightedText().color().name()}; padding: 0 4px;")
        QTimer.singleShot(1500, self._edge_done)

    def _edge_done(self) -> None:
        try:
            self.position.setStyleSheet("")
            self._update_position()
        except RuntimeError:  # the view was closed meanwhile
            pass

    def current_stop(self) -> int:
        """Which change (0-based) the cursor is in, or -1."""
        here = self.view.currentIndex().row()
        passed = [k for k, s in enumerate(self.model.stops) if s <= here]
        return passed[-1] if passed else -1

    def _go(self, pos: int, *, select: bool = True) -> None:
        index = self.model.index(pos, 0)
        if not index.isValid():
            return
        if select:  # a jump selects only its target: Copy then takes just that paragraph
            self.view.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)
        self.view.setFocus()

    def _go_row(self, row: int) -> None:
        """Show a row of the full diff, unfolding it when "changes only" hides it."""
        if row not in self.model.items:
            fold = next((f for f in self.model.items if isinstance(f, Fold)
                         and f.start <= row < f.end), None)
            if fold is not None:
                self.model.expand(fold)
        if row in self.model.items:
            self._go(self.model.items.index(row))

    def jump_to_heading(self, heading: str) -> None:
        for k, row in enumerate(self.model.rows):
            text = row.new_text or row.old_text
            _, skip, level = display_prefix(text)
            if level and text[skip:].strip() == heading.strip():
                self._go_row(k)
                return

    # --- find -------------------------------------------------------------------------------

    def _set_term(self, term: str) -> None:
        self.delegate.term = term
        self.delegate.clear_cache()
        self.view.doItemsLayout()

    def _find(self, term: str, backwards: bool) -> None:
        low = term.lower()
        hits = [k for k, r in enumerate(self.model.rows)
                if low in r.old_text.lower() or low in r.new_text.lower()]
        if not term or not hits:
            self.find_bar.set_count(0, 0)
            return
        here = self.model.item_at(self.view.currentIndex().row())
        here = here if isinstance(here, int) else -1
        if backwards:
            target = next((h for h in reversed(hits) if h < here), hits[-1])
        else:
            target = next((h for h in hits if h > here), hits[0])
        self._go_row(target)
        self.find_bar.set_count(hits.index(target) + 1, len(hits))
        self.find_bar.edit.setFocus()

    # --- copy -------------------------------------------------------------------------------

    def selected_rows(self) -> list[Row]:
        picked = sorted(i.row() for i in self.view.selectionModel().selectedIndexes())
        if not picked and self.view.currentIndex().isValid():
            picked = [self.view.currentIndex().row()]
        items = [self.model.item_at(p) for p in picked]
        return [self.model.rows[i] for i in items if isinstance(i, int)]

    def copy_selection(self, side: str = "new") -> str:
        """Copy the selected paragraphs: "old", "new", or "diff" (unified, both sides)."""
        rows = self.selected_rows()
        if side == "diff":
            text = unified(rows)
        else:
            text = "\n\n".join(t for t in (side_text(r, side) for r in rows) if t)
        QGuiApplication.clipboard().setText(text)
        return text

    def _context_menu(self, pos: QPoint) -> None:
        menu = QMenu(self.view)
        menu.addAction("Copy &old text", lambda: self.copy_selection("old"))
        menu.addAction("Copy &new text", lambda: self.copy_selection("new"))
        menu.addAction("Copy as &diff", lambda: self.copy_selection("diff"))
        menu.exec(self.view.viewport().mapToGlobal(pos))
