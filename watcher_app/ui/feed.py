"""The activity feed (every change across platforms, newest first, unread in bold) and the
notification log (every alert, and how it reached the user or why it could not, so "I never got
an alert" can be answered).

Filters (severity, platform, document type, unread only) narrow the SQL query itself, and rows
are read a page at a time, so both stay instant with years of history.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from watcher_app.ui import commands, links, queries, theme
from watcher_app.ui.analysis_panel import AnalysisPanel
from watcher_app.ui.correction_dialog import confirm_reset, open_correction
from watcher_app.ui.paged import Column, PagedTableModel
from watcher_app.ui.queries import AlertRow, FeedFilter, FeedRow
from watcher_app.ui.runtime import run_task

PREVIEW_HINT = "Select a change to preview it; press Enter or double-click to open its diff."
SEVERITIES = (("", "Any severity"), ("high", "High"), ("medium", "Medium"), ("low", "Low"))


def empty_text(*, watching: bool, offline: bool) -> str:
    """What the feed says with no change to show: how to start, when nothing is watched; that
    checks wait for the network, when offline; else that changes will appear here."""
    if not watching:
        return ("No changes yet.\n\nThe first check of each document records its current text; "
                "from then on, every real change appears here.\nChoose what to watch with "
                "Watch \u203a Platforms\u2026 (Ctrl+Shift+L).")
    if offline:
        # the strip above says "You appear to be offline": no need to repeat it word for word
        return ("No changes recorded yet.\n\nNo site could be reached; the watched documents "
                "are checked as soon as the network returns.")
    return ("No changes recorded yet.\n\nThe first check of each document records its current "
            "text; from then on, every real change appears here.")


def row_details(row: FeedRow) -> str:
    """The row's tooltip (plain text; the model escapes it): the summary, the severity (whose)
    and why, the topics, the user's note, the effective date."""
    lines = [row.summary or "(no summary)"]
    if row.judgement is not None:
        lines += row.judgement.lines(theme.category_label)
    elif row.categories:
        lines.append("Topics: " + ", ".join(theme.category_label(c) for c in row.categories))
    if row.effective_date:
        lines.append(f"Takes effect {row.effective_date}")
    return "\n".join(lines)


def _severity_text(row: FeedRow) -> str:
    """"High", or "High (yours)" when the user corrected it."""
    if row.judgement is not None:
        return row.judgement.short_label()
    return theme.SEVERITY_LABELS.get(row.severity or "", "\u2014")


def _feed_columns() -> list[Column[FeedRow]]:
    return [
        Column("Detected", lambda r: theme.when(r.detected_at), tooltip=row_details,
               icon=lambda r: theme.severity_icon(r.severity)),
        Column("Platform", lambda r: r.platform, tooltip=row_details),
        Column("Document", lambda r: r.doc_type, tooltip=row_details),
        Column("Severity", _severity_text, tooltip=row_details),
        Column("Summary", lambda r: (r.summary or "").split("\n")[0] or "(no summary)",
               tooltip=row_details),
        Column("Size", lambda r: theme.change_size(r.stats, short=True), align_right=True,
               tooltip=lambda r: theme.change_size(r.stats)),
    ]


class FeedView(QWidget):
    open_change = Signal(int)
    read_changed = Signal()  # unread counts changed (the sidebar refreshes its badges)
    corrected = Signal(int)  # the user corrected a change (or reset it): the others refresh

    def __init__(self) -> None:
        super().__init__()
        self.filter = FeedFilter()
        self.title = links.plain_label("Activity")  # "Activity — <platform name>"
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.title.setFont(theme.bold(font))
        self.severity, self.platform, self.doc_type = QComboBox(), QComboBox(), QComboBox()
        for combo, name in ((self.severity, "Filter by severity"),
                            (self.platform, "Filter by platform"),
                            (self.doc_type, "Filter by document type")):
            combo.setAccessibleName(name)
            # long platform and document names would widen the window past a small screen:
            # the combo elides them (its list shows them whole)
            combo.setMinimumContentsLength(12)
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        for key, label in SEVERITIES:
            self.severity.addItem(theme.severity_icon(key) if key else QIcon(), label, key)
        self.unread_only = QCheckBox("&Unread only")
        self.mark_all = QPushButton(theme.icon("read"), "Mark all &read")
        self.mark_all.setAccessibleName("Mark all shown changes as read")
        show = QLabel("&Show:")
        show.setBuddy(self.severity)
        bar = QHBoxLayout()
        for w in (show, self.severity, self.platform, self.doc_type, self.unread_only):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.mark_all)

        self.model: PagedTableModel[FeedRow] = PagedTableModel(
            _feed_columns(), self._fetch, font=self._font,
            accessible=lambda r: f"{'Unread: ' if not r.read else ''}{r.platform} "
                                 f"{r.doc_type} changed {theme.when(r.detected_at)}, "
                                 f"{r.severity or 'unassessed'} severity. {r.summary or ''}")
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Changes across all platforms")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        # narrow enough that the summary keeps room at 1024 px wide (severity: "High (yours)")
        for col, width in ((0, 150), (1, 115), (2, 140), (3, 105), (5, 70)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        header.moveSection(5, 4)  # size before the summary: the summary takes the rest
        self.empty = QLabel(empty_text(watching=False, offline=False))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet(f"color: {theme.muted_text().name()};")
        # A preview of the selected change (like a mail client's reading pane).
        self.preview = AnalysisPanel()
        self.preview.setAccessibleName("Preview of the selected change")
        self.preview.show_placeholder(PREVIEW_HINT)
        self.preview.corrected.connect(self._corrected)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.table)
        self.split.addWidget(self.preview)
        self.split.setSizes([380, 260])
        self.split.setChildrenCollapsible(False)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.split)
        self.stack.addWidget(self.empty)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)

        self._actions()
        for combo in (self.severity, self.platform, self.doc_type):
            combo.currentIndexChanged.connect(self._filters_changed)
        self.unread_only.toggled.connect(self._filters_changed)
        self.mark_all.clicked.connect(self.mark_all_read)
        self.table.activated.connect(self._open)
        self.table.doubleClicked.connect(self._open)
        self.table.customContextMenuRequested.connect(self._menu)
        self.table.selectionModel().currentRowChanged.connect(self._preview)
        self.refresh_choices()

    def _actions(self) -> None:
        self.read_action = QAction("Mark as &read", self)
        self.read_action.setShortcut(QKeySequence("Ctrl+M"))
        self.unread_action = QAction("Mark as &unread", self)
        self.unread_action.setShortcut(QKeySequence("Ctrl+U"))
        for action, read in ((self.read_action, True), (self.unread_action, False)):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _=False, r=read: self.mark_selected(r))
            self.addAction(action)

    # --- data -------------------------------------------------------------------------------

    def _fetch(self, offset: int, limit: int) -> list[FeedRow]:
        return queries.feed_page(self.filter, offset, limit)

    def _font(self, row: FeedRow) -> QFont | None:
        return theme.bold(self.table.font()) if not row.read else None

    def refresh(self, rows: list[FeedRow] | None = None) -> None:
        """Re-read the loaded rows (or take `rows`, read off the GUI thread); the selected change
        stays selected (a check finishing while the user reads must not move the cursor)."""
        current = self.model.row_at(self.table.currentIndex().row())
        self.model.reload(rows)
        self.stack.setCurrentIndex(0 if self.model.rows else 1)
        self._update_empty()
        row = None if current is None else next(
            (k for k, r in enumerate(self.model.rows) if r.change_id == current.change_id), None)
        if row is not None:
            self.table.selectRow(row)
        elif not self.preview.placeholder_shown():
            # the previewed change left the list (a filter hid it): never preview a row that
            # is not shown
            self.preview.show_placeholder(PREVIEW_HINT)

    def prefetch(self) -> tuple[FeedFilter, Any, list[FeedRow]]:
        """What refresh_choices reads, as a function to run off the GUI thread."""
        wanted, limit = self.filter, self.model.wanted()
        return wanted, queries.feed_choices(), queries.feed_page(wanted, 0, limit)

    def refresh_choices(self, prefetched: tuple[FeedFilter, Any, list[FeedRow]] | None = None
                        ) -> None:
        """Refill the platform and type filters (kept selections survive). `prefetched`: the
        result of prefetch(), read off the GUI thread."""
        platforms, types = prefetched[1] if prefetched else queries.feed_choices()
        for combo, items, everything in ((self.platform, platforms, "All platforms"),
                                         (self.doc_type, [(t, t) for t in types],
                                          "All document types")):
            keep = combo.itemData(combo.currentIndex()) if combo.currentIndex() > 0 else ""
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(everything, "")
            for key, label in items:
                combo.addItem(label, key)
            combo.setCurrentIndex(max(0, combo.findData(keep)))
            combo.blockSignals(False)
        before = self.filter
        self._read_filters()
        if self.filter == before:
            # same rows wanted: keep the scroll position and the selection
            fresh = prefetched is not None and prefetched[0] == self.filter
            self.refresh(prefetched[2] if fresh and prefetched else None)
        else:
            self._filters_changed()

    def set_state(self, *, watching: bool, offline: bool) -> None:
        """The empty feed's sentence follows what is watched and whether checks can run."""
        self._state = {"watching": watching, "offline": offline}
        self._update_empty()

    def _update_empty(self) -> None:
        state = getattr(self, "_state", {"watching": False, "offline": False})
        text = ("No change matches these filters." if self.filter != FeedFilter()
                else empty_text(**state))
        if self.empty.text() != text:
            self.empty.setText(text)

    def set_platform(self, platform_id: str | None) -> None:
        index = self.platform.findData(platform_id or "")
        self.platform.setCurrentIndex(max(0, index))
        name = self.platform.currentText() if platform_id else ""
        self.title.setText(f"Activity \u2014 {name}" if name else "Activity")

    def _read_filters(self) -> None:
        self.filter = FeedFilter(
            severity=str(self.severity.itemData(self.severity.currentIndex()) or "") or None,
            platform_id=str(self.platform.itemData(self.platform.currentIndex()) or "") or None,
            doc_type=str(self.doc_type.itemData(self.doc_type.currentIndex()) or "") or None,
            unread_only=self.unread_only.isChecked())

    def _filters_changed(self, *_: object) -> None:
        self._read_filters()
        self.model.rows = []  # a new filter starts from the first page
        self.refresh()

    # --- actions ------------------------------------------------------------------------------

    def selected_rows(self) -> list[FeedRow]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [r for r in (self.model.row_at(k) for k in rows) if r is not None]

    def mark_selected(self, read: bool = True) -> None:
        rows = self.selected_rows()
        if rows:
            ids = [r.change_id for r in rows]
            run_task(lambda _r: commands.mark_read(ids, read), self._read_done,
                     self._read_failed)

    def mark_all_read(self) -> None:
        flt = copy.copy(self.filter)  # the filter as it is now, not when the task runs
        run_task(lambda _r: commands.mark_all_read(flt), self._read_done, self._read_failed)

    def _read_done(self, count: int) -> None:
        if count:
            self.model.reload()
            self.read_changed.emit()

    def _read_failed(self, message: str) -> None:
        links.message(self, "warning", "Mark as read", f"Could not mark the changes: {message}")

    def _preview(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.model.row_at(current.row())
        info = queries.change_info(row.change_id) if row is not None else None
        if row is None or info is None:
            self.preview.show_placeholder(PREVIEW_HINT)
        else:
            self.preview.show_change(info, f"{row.platform} \u2014 {row.doc_type}, changed "
                                           f"{theme.when(row.detected_at)}")

    def correct(self, change_id: int) -> None:
        """"Correct severity and topics…" (the write runs off the GUI thread; the row and the
        preview show the correction once it is stored)."""
        open_correction(change_id, self, self._corrected)

    def reset_correction(self, change_id: int) -> None:
        """"Reset to the app's reading" (asks first when the user's note would go)."""
        info = queries.change_info(change_id)
        if info is not None and confirm_reset(info, self):
            change_id = info.id
            run_task(lambda _r: commands.reset_correction(change_id),
                     self._corrected, self._reset_failed)

    def _corrected(self, change_id: int) -> None:
        self.refresh()  # the severity column, the filter (by the effective severity)
        current = self.model.row_at(self.table.currentIndex().row())
        if current is not None and current.change_id == change_id:
            self._preview(self.table.currentIndex(), QModelIndex())
        self.corrected.emit(change_id)

    def _reset_failed(self, message: str) -> None:
        links.message(self, "warning", "Reset to the app's reading",
                      f"Could not reset: {message}")

    def _open(self, index: QModelIndex) -> None:
        row = self.model.row_at(index.row())
        if row is not None:
            self.open_change.emit(row.change_id)

    def _menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        menu = QMenu(self)
        menu.addAction(theme.icon("diff"), "&Open diff", lambda: self._open(index))
        menu.addAction(self.read_action)
        menu.addAction(self.unread_action)
        row = self.model.row_at(index.row())
        if row is not None:  # the row clicked, whatever else is selected
            menu.addSeparator()
            menu.addAction(theme.icon("analysis"), "&Correct severity and topics\u2026",
                           lambda: self.correct(row.change_id))
            reset = menu.addAction("Reset to the &app's reading",
                                   lambda: self.reset_correction(row.change_id))
            reset.setEnabled(bool(row.judgement and row.judgement.corrected))
        menu.exec(self.table.viewport().mapToGlobal(pos))


CHANNELS = {"native": "Desktop notification", "tray": "Tray message", "banner": "In-app banner",
            "none": "Not shown"}
KINDS = {"change": "Change", "failure": "Failure", "reminder": "Reminder", "digest": "Digest"}


def _alert_columns() -> list[Column[AlertRow]]:
    return [
        Column("Time", lambda a: theme.when(a.created_at, seconds=True)),
        Column("Kind", lambda a: KINDS.get(a.kind, a.kind.title())),
        Column("Alert", lambda a: a.title, tooltip=lambda a: f"{a.title}\n{a.body}".strip()),
        Column("Shown as", lambda a: CHANNELS.get(a.channel, a.channel),
               icon=lambda a: theme.icon("health-ok" if a.delivered else "health-blocked")),
        Column("Details", lambda a: a.detail or a.body, tooltip=lambda a: a.detail or ""),
    ]


class NotificationLog(QWidget):
    open_change = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        title = QLabel("Notification log")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        title.setFont(theme.bold(font))
        hint = QLabel("Every alert, and how it reached you. Double-click a change alert to open "
                      "its diff.")
        hint.setStyleSheet(f"color: {theme.muted_text().name()};")
        self.model: PagedTableModel[AlertRow] = PagedTableModel(
            _alert_columns(), queries.alerts_page, foreground=self._color,
            accessible=lambda a: f"{a.title}: {CHANNELS.get(a.channel, a.channel)}")
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Notification log")
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(True)  # the details say why a channel was skipped: keep them whole
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        for col, width in ((0, 150), (1, 75), (2, 330), (3, 165)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        # alerts are few (a handful a week): sizing their rows to the text is cheap
        self.table.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.setStyleSheet("QTableView::item { padding: 4px 2px; }")  # spacing only
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(hint)
        layout.addWidget(self.table, 1)
        self.table.activated.connect(self._open)
        self.table.doubleClicked.connect(self._open)

    def refresh(self) -> None:
        self.model.reload()

    def _color(self, alert: AlertRow) -> QColor | None:
        return None if alert.delivered or alert.channel == "none" and "below" in alert.detail \
            else theme.severity_text("medium")

    def _open(self, index: QModelIndex) -> None:
        alert = self.model.row_at(index.row())
        if alert is not None and alert.change_id is not None:
            self.open_change.emit(alert.change_id)
