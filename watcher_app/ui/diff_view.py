"""The side-by-side diff of two versions, with the change's analysis beside it.

The diff is computed in the thread pool (loading two 300 KB texts and aligning them takes a
moment) while a progress page shows what is happening; a newer request simply supersedes an
older one. The view only consumes `watcher_app.diff` chunks (see diff_rows); navigation, find
and copy live in diff_nav.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QMouseEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QProgressBar,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from watcher_app.diff import diff_texts
from watcher_app.ui import links, queries, theme
from watcher_app.ui.analysis_panel import AnalysisPanel
from watcher_app.ui.diff_delegate import DiffDelegate, DiffModel, OverviewStrip
from watcher_app.ui.diff_nav import DiffNavigation, FindBar
from watcher_app.ui.diff_rows import Fold, build_rows
from watcher_app.ui.queries import ChangeInfo
from watcher_app.ui.runtime import guarded, run_task


class _DiffList(QListView):
    """Remembers which half was clicked last, so Copy takes the text of that side."""

    def __init__(self) -> None:
        super().__init__()
        self.side = "new"

    @guarded()
    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.side = "old" if event.position().x() < self.viewport().width() / 2 else "new"
        super().mousePressEvent(event)


class DiffView(DiffNavigation, QWidget):
    evidence_requested = Signal(int)  # version id
    change_opened = Signal(int)  # change id: the user has now seen it
    ready = Signal()  # a comparison is on screen
    back_requested = Signal()
    corrected = Signal(int)  # the user corrected a change from the analysis panel
    view: _DiffList  # (DiffNavigation's list, knowing which half was clicked)

    def __init__(self) -> None:
        super().__init__()
        self.document_id: int | None = None
        self.change: ChangeInfo | None = None
        self._gen = 0
        self._filling = False
        self.model = DiffModel()
        self._build()
        self._wire()

    # --- construction ------------------------------------------------------------------------

    def _build(self) -> None:
        self.title = QLabel()
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.title.setFont(theme.bold(font))
        self.old_combo, self.new_combo = QComboBox(), QComboBox()
        for combo, name in ((self.old_combo, "Compare from version"),
                            (self.new_combo, "Compare to version")):
            combo.setAccessibleName(name)
            combo.setMinimumContentsLength(12)  # elided below that: fits a 1024 px screen
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        from_label, to_label = QLabel("&From:"), QLabel("&to:")
        from_label.setBuddy(self.old_combo)
        to_label.setBuddy(self.new_combo)
        self.prev_btn = self._tool("up", "&Previous", "Previous change (P)")
        self.next_btn = self._tool("down", "&Next", "Next change (N)")
        self.evidence_btn = self._tool("evidence", "&Evidence", "Evidence of the new version")
        self.evidence_btn.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.analysis_btn = self._tool("analysis", "An&alysis", "Show or hide the analysis panel")
        self.analysis_btn.setCheckable(True)
        self.analysis_btn.setChecked(True)
        self.changes_only = QCheckBox("Changes &only")
        self.changes_only.setToolTip("Hide unchanged paragraphs (click a fold to show them)")
        self.inline_box = QCheckBox("&Inline")
        self.inline_box.setToolTip("Show old and new text in one column")
        self.find_btn = self._tool("find", "Find", "Find in both versions (Ctrl+F)")
        self.copy_btn = self._tool("copy", "Copy", "Copy the selected paragraphs (Ctrl+C)")
        for btn in (self.find_btn, self.copy_btn):  # their icons say it; the tooltips name them
            btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)

        self.back_btn = self._tool("back", "Back", "Back to where you came from (Alt+Left)")
        self.back_btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        top = QHBoxLayout()
        top.addWidget(self.back_btn)
        top.addWidget(self.title, 1)
        top.addWidget(self.evidence_btn)
        top.addWidget(self.analysis_btn)
        bar = QHBoxLayout()
        for w in (from_label, self.old_combo, to_label, self.new_combo):
            # the combos take the free width up to their whole labels, then the stretch does
            bar.addWidget(w, 1 if isinstance(w, QComboBox) else 0)
            w.setMaximumWidth(260) if isinstance(w, QComboBox) else None
        bar.addStretch(1)
        bar.addWidget(self.prev_btn)
        bar.addWidget(self.next_btn)

        self.old_head, self.new_head = QLabel(), QLabel()
        for label in (self.title, self.old_head, self.new_head):
            # long names and version labels are cut at the edge rather than widening the
            # window past a small screen (the full text is the tooltip)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        heads = QHBoxLayout()
        heads.setContentsMargins(4, 0, 18, 0)
        heads.addWidget(self.old_head, 1)
        heads.addWidget(self.new_head, 1)
        self.view = _DiffList()
        self.view.setModel(self.model)
        self.delegate = DiffDelegate(self.view, self.model)
        self.view.setItemDelegate(self.delegate)
        self.view.setUniformItemSizes(False)
        # Rows have their own heights (wrapped paragraphs): lay them out in batches between
        # events, so opening a 3000-paragraph diff never freezes the window.
        self.view.setLayoutMode(QListView.LayoutMode.Batched)
        self.view.setBatchSize(40)
        self.view.setWordWrap(True)  # also makes QListView re-lay rows out when its width changes
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setAccessibleName("Side-by-side differences")
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.overview = OverviewStrip(self.view, self.model)
        list_box = QWidget()
        list_layout = QHBoxLayout(list_box)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.setSpacing(2)
        list_layout.addWidget(self.view, 1)
        list_layout.addWidget(self.overview)

        self.progress_label = links.plain_label("Comparing…")  # may quote an error
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(320)
        self.progress.setAccessibleName("Diff progress")
        busy = QWidget()
        busy_layout = QVBoxLayout(busy)
        busy_layout.addStretch(1)
        busy_layout.addWidget(self.progress_label, 0, Qt.AlignmentFlag.AlignHCenter)
        busy_layout.addWidget(self.progress, 0, Qt.AlignmentFlag.AlignHCenter)
        busy_layout.addStretch(2)
        self.stack = QStackedWidget()
        self.stack.addWidget(busy)
        self.stack.addWidget(list_box)

        self.find_bar = FindBar()
        self.status = links.plain_label()
        self.status.setWordWrap(True)  # wraps on a narrow window instead of widening it
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.position = QLabel()
        status_row = QHBoxLayout()
        status_row.addWidget(self.status, 1)
        for extra in (self.changes_only, self.inline_box, self.find_btn, self.copy_btn,
                      self.position):
            status_row.addWidget(extra)
        left = QWidget()
        col = QVBoxLayout(left)
        col.setContentsMargins(0, 0, 0, 0)
        col.addLayout(heads)
        col.addWidget(self.stack, 1)
        col.addWidget(self.find_bar)
        col.addLayout(status_row)
        self.analysis = AnalysisPanel()
        self.splitter = QSplitter()
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.analysis)
        # the diff gets three quarters of any width gained or lost, the analysis a quarter: at
        # 1024 px the two columns keep room to read
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([720, 240])
        self.splitter.setChildrenCollapsible(False)
        outer = QVBoxLayout(self)
        outer.addLayout(top)
        outer.addLayout(bar)
        outer.addWidget(self.splitter, 1)
        for a, b in ((self.old_combo, self.new_combo), (self.new_combo, self.prev_btn),
                     (self.prev_btn, self.next_btn), (self.next_btn, self.view),
                     (self.view, self.changes_only), (self.changes_only, self.inline_box),
                     (self.inline_box, self.analysis)):
            self.setTabOrder(a, b)

    def _tool(self, icon: str, text: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setIcon(theme.icon(icon))
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip.split(" (")[0])
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        return button

    def _wire(self) -> None:
        def key(seq: str | QKeySequence, func: Callable[[], None]) -> None:
            sc = QShortcut(QKeySequence(seq), self)
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            sc.activated.connect(func)

        key("N", self.next_change)
        key("P", self.prev_change)
        key(QKeySequence(QKeySequence.StandardKey.Find), self.find_bar.open)
        self.copy_action = QAction("Copy", self.view)
        self.copy_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.copy_action.triggered.connect(lambda: self.copy_selection(self.view.side))
        self.view.addAction(self.copy_action)
        self.back_btn.clicked.connect(self.back_requested.emit)
        self.prev_btn.clicked.connect(self.prev_change)
        self.next_btn.clicked.connect(self.next_change)
        self.find_btn.clicked.connect(self.find_bar.open)
        self.copy_btn.clicked.connect(lambda: self.copy_selection(self.view.side))
        self.changes_only.toggled.connect(self._set_changes_only)
        self.inline_box.toggled.connect(self._set_inline)
        self.analysis_btn.toggled.connect(self.analysis.setVisible)
        self.old_combo.currentIndexChanged.connect(self._combo_changed)
        self.new_combo.currentIndexChanged.connect(self._combo_changed)
        self.view.clicked.connect(self._activated)
        self.view.activated.connect(self._activated)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.selectionModel().currentChanged.connect(self._update_position)
        self.overview.jump.connect(lambda pos: self._go(pos, select=False))
        self.analysis.section_clicked.connect(self.jump_to_heading)
        self.analysis.corrected.connect(self._corrected)
        self.find_bar.search.connect(self._find)
        self.find_bar.term_changed.connect(self._set_term)
        menu = QMenu(self.evidence_btn)
        menu.addAction("Evidence of the &new version", lambda: self._evidence("new"))
        menu.addAction("Evidence of the &old version", lambda: self._evidence("old"))
        self.evidence_btn.setMenu(menu)
        self.evidence_btn.clicked.connect(lambda: self._evidence("new"))

    # --- public API ----------------------------------------------------------------------------

    def show_change(self, change_id: int) -> None:
        change = queries.change_info(change_id)
        if change is None:
            return
        self.compare(change.document_id, change.from_version_id, change.to_version_id)
        self.change_opened.emit(change_id)

    def compare(self, document_id: int, old_id: int, new_id: int) -> None:
        """Show old → new of one document (fills the version pickers, starts the diff)."""
        if document_id != self.document_id or self.old_combo.findData(new_id) < 0:
            self._fill_combos(document_id)
        self._filling = True
        self.old_combo.setCurrentIndex(max(0, self.old_combo.findData(old_id)))
        self.new_combo.setCurrentIndex(max(0, self.new_combo.findData(new_id)))
        self._filling = False
        self._start(old_id, new_id)

    # --- loading --------------------------------------------------------------------------------

    def _fill_combos(self, document_id: int) -> None:
        self.document_id = document_id
        self.title.setText(queries.document_label(document_id))
        self.title.setToolTip(links.tooltip(self.title.text()))
        self._filling = True
        for combo in (self.old_combo, self.new_combo):
            combo.clear()
            for number, (vid, seen, kind) in enumerate(queries.version_choices(document_id), 1):
                combo.addItem(f"v{number} \u00b7 {theme.when(seen)} \u00b7 {kind}", vid)
        self._filling = False

    def _combo_changed(self) -> None:
        if self._filling or self.document_id is None:
            return
        if self.old_combo.currentIndex() >= 0 and self.new_combo.currentIndex() >= 0:
            self._start(int(self.old_combo.currentData()), int(self.new_combo.currentData()))

    def _start(self, old_id: int, new_id: int) -> None:
        self._gen += 1
        gen = self._gen
        self.change = queries.change_between(old_id, new_id)
        self.old_head.setText(f"<b>Old</b> \u2014 {links.esc(self.old_combo.currentText())}")
        self.new_head.setText(f"<b>New</b> \u2014 {links.esc(self.new_combo.currentText())}")
        for head, combo in ((self.old_head, self.old_combo), (self.new_head, self.new_combo)):
            head.setToolTip(links.tooltip(combo.currentText()))
        self.progress_label.setText("Loading the two versions…")
        self.progress.setRange(0, 0)
        self.stack.setCurrentIndex(0)
        self.status.clear()
        self.position.clear()

        def work(report: Callable[[str], None]) -> tuple[Any, ...]:
            old, new = queries.version_text(old_id), queries.version_text(new_id)
            report(f"Comparing {old.count(chr(10)) + 1:,} and {new.count(chr(10)) + 1:,} "
                   "paragraphs…")
            result = diff_texts(old, new, budget_s=4.0)
            report("Aligning paragraphs…")
            return gen, build_rows(result), result.stats.__dict__, result.degraded

        run_task(work, self._loaded, self._failed, self._progress)

    def _progress(self, text: str) -> None:
        self.progress_label.setText(text)

    def _failed(self, message: str) -> None:
        self.progress_label.setText(f"Could not compare these versions: {message}")
        self.progress.setRange(0, 1)

    def _loaded(self, payload: tuple[Any, ...]) -> None:
        gen, rows, stats, degraded = payload
        if gen != self._gen:
            return  # superseded by a newer request
        self.delegate.clear_cache()
        self.model.set_rows(rows)
        self.stack.setCurrentIndex(1)
        if self.change is not None:
            self.analysis.show_change(self.change)
        else:
            self.analysis.show_comparison(self.old_combo.currentText().split(" \u00b7 ")[0],
                                          self.new_combo.currentText().split(" \u00b7 ")[0],
                                          {**stats, "degraded": degraded})
        changes = len(self.model.stops)
        facts = [f"{changes} change{'s' if changes != 1 else ''}", theme.change_size(stats)]
        if degraded:
            facts.append("coarse diff: the comparison ran out of time on a very large change")
        self.status.setText(" \u00b7 ".join(f for f in facts if f))
        self._update_position()
        if self.model.stops:
            QTimer.singleShot(0, lambda: self._go(self.model.stops[0]))
        self.ready.emit()

    # --- view state -------------------------------------------------------------------------------

    def _update_position(self, *_: object) -> None:
        total = len(self.model.stops)
        stop = self.current_stop()
        self.position.setText(f"Change {stop + 1} of {total}" if total and stop >= 0 else
                              (theme.plural(total, "change") if total else "No differences"))

    def _activated(self, index: QModelIndex) -> None:
        item = self.model.item_at(index.row())
        if isinstance(item, Fold):
            self.model.expand(item)
            self._go_row(item.start)

    def _set_changes_only(self, on: bool) -> None:
        current = self.model.item_at(self.view.currentIndex().row())
        self.model.changes_only = on
        self.model.relayout()
        if isinstance(current, int):
            self._go_row(current)

    def _set_inline(self, on: bool) -> None:
        self.delegate.inline = on
        self.delegate.clear_cache()
        self.old_head.setVisible(not on)
        self.new_head.setText(("<b>Old \u2192 New</b> \u2014 " if on else "<b>New</b> \u2014 ")
                              + links.esc(self.new_combo.currentText()))
        self.view.doItemsLayout()

    def _corrected(self, change_id: int) -> None:
        """The panel shows the stored correction; the view keeps it for a recolour."""
        if self.change is not None and self.change.id == change_id:
            self.change = self.analysis.info or self.change
        self.corrected.emit(change_id)

    def refresh_colors(self) -> None:
        """The system switched between light and dark: recolour the diff and the panel."""
        self.delegate.refresh_colors()
        self.view.viewport().update()
        if self.change is not None:
            self.analysis.show_change(self.change)

    def _evidence(self, side: str) -> None:
        combo = self.new_combo if side == "new" else self.old_combo
        if combo.currentIndex() >= 0:
            self.evidence_requested.emit(int(combo.currentData()))
