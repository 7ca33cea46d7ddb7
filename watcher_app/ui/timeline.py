"""The timeline of one document: every version (what changed, how much, how severe) and every
check (verified, blocked, error, with its reason). Noise, flaps and technical upgrades are kept
and shown greyed as "no alert", so the record is complete without crying wolf.

Up/Down walk the versions; Enter or a double click opens the change in the diff.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from watcher_app.netguard import WHY, url_class
from watcher_app.outcomes import Outcome, VersionKind
from watcher_app.ui import links, queries, theme
from watcher_app.ui.backfill_panel import BackfillPanel
from watcher_app.ui.paged import Column, PagedTableModel
from watcher_app.ui.queries import CheckRow, TimelineEntry
from watcher_app.ui.runtime import guarded
from watcher_app.ui.settings_dialog import IntervalDialog

Index = QModelIndex | QPersistentModelIndex
KIND_LABELS: dict[str, str] = {VersionKind.FIRST: "First capture", VersionKind.CHANGE: "Change",
               VersionKind.NOISE: "Noise only \u2014 no alert",
               VersionKind.UPGRADE: "Technical upgrade \u2014 no alert"}


class _EntryDelegate(QStyledItemDelegate):
    """Two lines per version: date, kind, size and severity; then the one-line summary."""

    def __init__(self, view: QListView, model: PagedTableModel[TimelineEntry]) -> None:
        super().__init__(view)
        self.view, self.model = view, model

    @guarded(QSize)
    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(300, 3 * self.view.fontMetrics().height() + 18)

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        entry = self.model.row_at(index.row())
        if entry is None:
            return
        opt = QStyleOptionViewItem(option)
        self.view.style().drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt,
                                        painter, self.view)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        pal = option.palette
        text = pal.color(QPalette.ColorRole.HighlightedText if selected
                         else QPalette.ColorRole.Text)
        muted = text if selected else theme.muted_text()
        r: QRect = option.rect.adjusted(10, 6, -8, -6)
        fm = self.view.fontMetrics()
        painter.save()
        stripe = theme.severity_color(entry.severity) if entry.kind == VersionKind.CHANGE else (
            QColor(theme.MOVE_HUE) if entry.kind == VersionKind.FIRST else theme.muted_text())
        bar = QRect(option.rect.left() + 2, option.rect.top() + 4, 4, option.rect.height() - 8)
        if entry.imported:  # an archived version: a hollow stripe, the app's own are solid
            painter.setPen(stripe)
            painter.drawRect(bar.adjusted(0, 0, -1, -1))
        else:
            painter.fillRect(bar, stripe)
        grey = not entry.alerted
        font = QFont(self.view.font())
        font.setBold(entry.kind == VersionKind.CHANGE and not entry.read)
        painter.setFont(font)
        painter.setPen(muted if grey else text)
        head = (f"v{entry.number}  \u00b7  {theme.when(entry.first_seen)}  \u00b7  "
                f"{_kind_label(entry)}")
        if entry.current:
            head += "  \u00b7  current"
        if entry.imported:
            head += f"  \u00b7  {queries.ARCHIVE_LABEL}"
        right = theme.change_size(entry.stats) if entry.stats else f"{entry.size:,} characters"
        right_w = fm.horizontalAdvance(right) + 8
        pill_w = 0
        if entry.severity:
            label = (entry.judgement.short_label() if entry.judgement is not None
                     else theme.SEVERITY_LABELS.get(entry.severity, entry.severity))
            pill_w = fm.horizontalAdvance(label) + 14
            pill = QRect(r.right() - pill_w, r.top(), pill_w, fm.height())
            painter.fillRect(pill, theme.severity_color(entry.severity))
            painter.setPen(QColor("#ffffff"))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, label)
            painter.setPen(muted if grey else text)
        painter.drawText(QRect(r.left(), r.top(), r.width() - pill_w - right_w, fm.height()),
                         Qt.AlignmentFlag.AlignVCenter, head)
        painter.setFont(self.view.font())
        painter.setPen(muted)
        painter.drawText(QRect(r.right() - pill_w - right_w, r.top(), right_w - 6, fm.height()),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, right)
        blurbs: dict[str, str] = {
            VersionKind.FIRST: "The text as Open Terms Archive first recorded it."
            if entry.imported else "The text as first captured.",
            VersionKind.NOISE: "Only layout, punctuation or page furniture moved; kept for the "
                               "record.",
            VersionKind.UPGRADE: "The extractor improved; same page, re-read. Kept for the "
                                 "record.",
        }
        summary = (entry.summary or entry.note or "").split("\n")[0] or \
            blurbs.get(entry.kind, "No summary.")
        if entry.folded:
            summary += (f" (+{entry.folded} archived noise version"
                        f"{'s' if entry.folded > 1 else ''} folded)")
        painter.setPen(muted if grey else text)
        for k, line in enumerate(two_lines(fm, summary, r.width())):
            painter.drawText(QRect(r.left(), r.top() + (k + 1) * fm.height() + 3, r.width(),
                                   fm.height()), Qt.AlignmentFlag.AlignVCenter, line)
        painter.restore()


def two_lines(fm: QFontMetrics, text: str, width: int) -> list[str]:
    """The text wrapped at word boundaries into at most two lines, the second elided."""
    words, first = text.split(), ""
    while words and fm.horizontalAdvance(f"{first} {words[0]}".strip()) <= width:
        first = f"{first} {words.pop(0)}".strip()
    if not first and words:  # one word longer than the line
        return [fm.elidedText(text, Qt.TextElideMode.ElideRight, width)]
    rest = " ".join(words)
    return [first, fm.elidedText(rest, Qt.TextElideMode.ElideRight, width)] if rest else [first]


def _kind_label(entry: TimelineEntry) -> str:
    if entry.kind == VersionKind.FIRST and entry.note:  # after an archived history
        return "First live capture \u2014 no alert"
    return KIND_LABELS.get(VersionKind(entry.kind), entry.kind)


def _entry_tip(entry: TimelineEntry) -> str:
    """A change's severity (whose) and why, its topics and the user's note, then where the
    version came from; plain text (the model escapes it: quotes and file names are never
    markup)."""
    lines = entry.judgement.lines(theme.category_label) if entry.judgement is not None else []
    return "\n".join([*lines, queries.provenance_text(entry)])


def _check_columns() -> list[Column[CheckRow]]:
    return [
        Column("Time", lambda c: theme.when(c.started_at, seconds=True)),
        Column("Result", lambda c: queries.check_label(c)[0]),
        Column("HTTP", lambda c: str(c.http_status or "—"), align_right=True),
        Column("Reason", lambda c: "" if c.outcome == Outcome.VERIFIED else (c.reason or ""),
               tooltip=lambda c: c.reason or ""),
    ]


class TimelineView(QWidget):
    open_change = Signal(int)
    compare_requested = Signal(int, int, int)  # document, old version, new version
    evidence_requested = Signal(int)  # version id
    check_requested = Signal(object)  # list of document ids
    interval_changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.document_id: int | None = None
        self.title = links.plain_label()  # a platform name from a declaration: plain text
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.title.setFont(theme.bold(font))
        self.subtitle = links.link_label()  # its URL opens through links.open_link only
        self.subtitle.setWordWrap(True)
        self.check_btn = QPushButton(theme.icon("refresh"), "&Check now")
        self.interval_btn = QPushButton("Check &interval\u2026")
        self.diff_btn = QPushButton(theme.icon("diff"), "Open &diff")
        self.evidence_btn = QPushButton(theme.icon("evidence"), "&Evidence\u2026")
        self.backfill_btn = QPushButton(theme.icon("import"), "&Backfill history\u2026")
        self.backfill_btn.setToolTip("Import this document's earlier versions from Open Terms "
                                     "Archive (judged like the app's own captures, never "
                                     "alerted)")
        backfill_menu = QMenu(self.backfill_btn)
        backfill_menu.addAction("From Open Terms Archive's latest &dataset (download)",
                                lambda: self.start_backfill(None))
        backfill_menu.addAction("From a dataset &file\u2026", self._backfill_from_file)
        self.backfill_btn.setMenu(backfill_menu)
        self.fold_box = QCheckBox("Show archived &noise")
        self.fold_box.setToolTip("Open Terms Archive records every difference it sees; the "
                                 "versions this app judges noise are folded away")
        for b in (self.check_btn, self.interval_btn, self.diff_btn, self.evidence_btn,
                  self.backfill_btn):
            b.setAccessibleName(b.text().replace("&", "").rstrip("\u2026"))
        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.title)
        titles.addWidget(self.subtitle)
        head.addLayout(titles, 1)
        for b in (self.check_btn, self.interval_btn, self.backfill_btn):
            head.addWidget(b, 0, Qt.AlignmentFlag.AlignTop)
        self.backfill = BackfillPanel()  # the background backfill, its progress and Cancel
        self.backfill.finished.connect(self.refresh)

        self.versions: PagedTableModel[TimelineEntry] = PagedTableModel(
            [Column("Version", lambda e: f"{theme.when(e.first_seen)} {e.kind}",
                    tooltip=_entry_tip)],
            lambda o, n: [], page=100,
            accessible=lambda e: f"{theme.when(e.first_seen)}, {KIND_LABELS.get(e.kind)}, "
                                 f"{queries.ARCHIVE_LABEL + ', ' if e.imported else ''}"
                                 f"{e.judgement.short_label() if e.judgement else ''} "
                                 f"{e.summary or ''}")
        self.list = QListView()
        self.list.setModel(self.versions)
        self.list.setItemDelegate(_EntryDelegate(self.list, self.versions))
        self.list.setAccessibleName("Versions and changes")
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.checks: PagedTableModel[CheckRow] = PagedTableModel(
            _check_columns(), lambda o, n: [], foreground=self._check_color)
        self.table = QTableView()
        self.table.setModel(self.checks)
        self.table.setAccessibleName("Check history")
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for col, width in ((0, 160), (1, 230), (2, 60)):
            header.resizeSection(col, width)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)

        versions_box, checks_box = QWidget(), QWidget()
        v_layout = QVBoxLayout(versions_box)
        v_layout.setContentsMargins(0, 0, 0, 0)
        v_bar = QHBoxLayout()
        v_label = QLabel("<b>&Versions and changes</b>")
        v_label.setBuddy(self.list)
        v_bar.addWidget(v_label)
        v_bar.addStretch(1)
        v_bar.addWidget(self.fold_box)
        v_bar.addWidget(self.diff_btn)
        v_bar.addWidget(self.evidence_btn)
        v_layout.addLayout(v_bar)
        v_layout.addWidget(self.list, 1)
        c_layout = QVBoxLayout(checks_box)
        c_layout.setContentsMargins(0, 0, 0, 0)
        c_label = QLabel("<b>C&heck history</b>")
        c_label.setBuddy(self.table)
        c_layout.addWidget(c_label)
        c_layout.addWidget(self.table, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(versions_box)
        split.addWidget(checks_box)
        split.setSizes([420, 260])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.backfill)
        layout.addWidget(split, 1)

        self.list.activated.connect(self._open)  # Enter (and a double click)
        self.list.clicked.connect(self._clicked)
        self.list.selectionModel().currentChanged.connect(self._update_buttons)
        self.diff_btn.clicked.connect(lambda: self._open(self.list.currentIndex()))
        self.evidence_btn.clicked.connect(self._evidence)
        self.check_btn.clicked.connect(
            lambda: self.check_requested.emit([self.document_id] if self.document_id else []))
        self.interval_btn.clicked.connect(self.edit_interval)
        self.fold_box.toggled.connect(lambda _on: self._set_fetch())

    # --- content ------------------------------------------------------------------------------

    def show_document(self, document_id: int) -> None:
        changed = document_id != self.document_id
        self.document_id = document_id
        self._set_fetch()
        self.checks.set_fetch(lambda o, n: queries.checks_page(document_id, o, n))
        self._header()
        if changed or not self.list.currentIndex().isValid():
            self.list.setCurrentIndex(self.versions.index(0, 0))
        self._update_buttons()

    def _set_fetch(self) -> None:
        document_id, fold = self.document_id, not self.fold_box.isChecked()
        if document_id is None:
            return
        self.versions.set_fetch(lambda o, n: queries.timeline_page(document_id, o, n,
                                                                    fold=fold))

    def refresh(self) -> None:
        if self.document_id is None:
            return
        current = self.list.currentIndex().row()
        self.versions.reload()
        self.checks.reload()
        self._header()
        self.list.setCurrentIndex(self.versions.index(max(0, current), 0))

    def _header(self) -> None:
        if self.document_id is None:
            return
        doc = queries.document_info(self.document_id)
        self.title.setText(doc.label)
        url = doc.url
        health = doc.health
        state = theme.HEALTH_LABELS[health]
        if health in ("blocked", "failing", "degraded") and doc.last_reason:
            state += f": {doc.last_reason}"
        every = theme.duration(doc.interval_s)
        own = " (own interval)" if doc.own_interval_s else ""
        muted = theme.muted_text().name()
        # The URL comes from a declaration and the reason may quote a page: both escaped.
        where = url_class(url)
        note = (f"<br><span style=\"color:{muted}\">Fetched from {links.esc(WHY[where])} "
                "(allowed because you declared it).</span>" if where == "private" else "")
        self.subtitle.setText(
            f'{links.link_html(url)}<br><span style="color:{muted}">{links.esc(state)} \u00b7 '
            f"last checked {links.esc(theme.ago(doc.last_check_at))} \u00b7 checked every "
            f"{links.esc(every)}{own}</span>{note}")

    def _check_color(self, check: CheckRow) -> QColor | None:
        grey = queries.check_label(check)[1]
        if grey:
            return theme.muted_text()
        if check.outcome in (Outcome.BLOCKED, Outcome.ERROR):
            return theme.severity_text("high" if check.outcome == Outcome.ERROR else "medium")
        return None

    # --- actions ------------------------------------------------------------------------------

    def current_entry(self) -> TimelineEntry | None:
        return self.versions.row_at(self.list.currentIndex().row())

    def _update_buttons(self, *_: object) -> None:
        entry = self.current_entry()
        older = self.versions.row_at(self.list.currentIndex().row() + 1)
        self.diff_btn.setEnabled(entry is not None and (entry.kind != VersionKind.FIRST
                                                        or older is not None))
        self.evidence_btn.setEnabled(entry is not None)

    def _open(self, index: QModelIndex) -> None:
        entry = self.versions.row_at(index.row())
        if entry is None:
            return
        if entry.change_id is not None:
            self.open_change.emit(entry.change_id)
        else:
            older = self.versions.row_at(index.row() + 1)
            # a noise or upgrade version, or the app's first capture after an archived
            # history: compare with the one before
            if older is not None:
                self.compare_requested.emit(self.document_id, older.version_id, entry.version_id)

    def _clicked(self, index: QModelIndex) -> None:
        """A click on a change opens its diff; other entries are only selected (their
        evidence is a button away). Up/Down only move the selection."""
        entry = self.versions.row_at(index.row())
        if entry is not None and entry.change_id is not None:
            self.open_change.emit(entry.change_id)

    def _evidence(self) -> None:
        entry = self.current_entry()
        if entry is not None:
            self.evidence_requested.emit(entry.version_id)

    def edit_interval(self) -> None:
        if self.document_id is None:
            return
        dialog = IntervalDialog(self.document_id, self)
        if dialog.exec():
            self._header()
            self.interval_changed.emit()

    # --- history backfill (Open Terms Archive) ----------------------------------------------

    def _backfill_from_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open Terms Archive versions dataset", "",
                                              "ZIP files (*.zip)")
        if path:
            self.start_backfill(path)

    def start_backfill(self, dataset: str | None) -> None:
        """Import this document's archived history in the background (None: the latest
        dataset OTA published for the platform's collection)."""
        if self.document_id is not None:
            self.backfill.start(self.document_id, dataset)
