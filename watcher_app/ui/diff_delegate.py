"""Model, painter and overview strip of the side-by-side diff.

One list row = one aligned pair (old paragraph | new paragraph), so the two panes can never
scroll out of step and paired paragraphs always sit side by side whatever their wrapped heights.
Rows are laid out lazily by QListView's batched layout and painted from QTextDocuments cached
per (row, side, width): a 300 KB policy opens at once and fills in while the user reads.
"""

from __future__ import annotations

import html
import re
from collections import OrderedDict

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from watcher_app.ui import theme
from watcher_app.ui.diff_rows import Fold, Item, Row, display_prefix, hunks, layout, strip_spans
from watcher_app.ui.runtime import guarded

ItemRole = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex
PAD, GAP, STRIPE = 6, 8, 3
HUES = {"insert": theme.INSERT_HUE, "delete": theme.DELETE_HUE, "replace": None,
        "moved_away": theme.MOVE_HUE, "moved_here": theme.MOVE_HUE}


class DiffModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []
        self.items: list[Item] = []
        self.stops: list[int] = []  # item positions where a change starts (n / p)
        self.changes_only = False
        self.expanded: set[int] = set()

    def set_rows(self, rows: list[Row]) -> None:
        self.rows, self.expanded = rows, set()
        self.relayout()

    def relayout(self) -> None:
        self.beginResetModel()
        self.items = layout(self.rows, self.changes_only, expanded=self.expanded)
        self.stops = hunks(self.rows, self.items)
        self.endResetModel()

    def item_at(self, pos: int) -> Item | None:
        """The row index or fold shown at a list position (read in Python, not via QVariant)."""
        return self.items[pos] if 0 <= pos < len(self.items) else None

    def expand(self, fold: Fold) -> None:
        self.expanded.add(fold.start)
        self.relayout()

    @guarded(int)
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self.items)

    @guarded()
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        item = self.items[index.row()]
        if role == ItemRole:
            return item
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if isinstance(item, Fold):
                return f"{item.count} unchanged paragraphs hidden"
            row = self.rows[item]
            what = {"equal": "unchanged", "insert": "added", "delete": "removed",
                    "replace": "changed", "moved_away": "moved away",
                    "moved_here": "moved here"}[row.kind]
            return f"{what}: {row.new_text or row.old_text}"
        return None


def _marked(text: str, term: str, find_bg: str) -> str:
    """Escaped text with the find term highlighted."""
    if not term:
        return html.escape(text)
    parts = re.split(f"({re.escape(term)})", text, flags=re.IGNORECASE)
    return "".join(f'<span style="background-color:{find_bg}">{html.escape(p)}</span>'
                   if k % 2 else html.escape(p) for k, p in enumerate(parts))


class DiffDelegate(QStyledItemDelegate):
    """Paints rows side by side (or inline) with word highlights, gutters and move labels."""

    def __init__(self, view: QListView, model: DiffModel) -> None:
        super().__init__(view)
        self.view, self.model = view, model
        self.inline = False
        self.term = ""
        self._docs: OrderedDict[tuple[int, str, int, str], QTextDocument] = OrderedDict()
        self.refresh_colors()

    def refresh_colors(self) -> None:
        """Recompute the palette-derived colours (call on a theme change)."""
        self.c = {
            "insert": theme.tint(theme.INSERT_HUE), "insert+": theme.tint(theme.INSERT_HUE, True),
            "delete": theme.tint(theme.DELETE_HUE), "delete+": theme.tint(theme.DELETE_HUE, True),
            "move": theme.tint(theme.MOVE_HUE), "find": theme.tint(theme.FIND_HUE, True),
            "changed": theme.tint(theme.FIND_HUE),
            "gap": theme.palette().color(QPalette.ColorRole.AlternateBase),
            "muted": theme.muted_text(), "text": theme.palette().color(QPalette.ColorRole.Text),
            "line": theme.palette().color(QPalette.ColorRole.Mid),
        }
        self._docs.clear()

    def clear_cache(self) -> None:
        self._docs.clear()

    # --- geometry ------------------------------------------------------------------------

    def _gutter(self) -> int:
        digits = max(3, len(str(len(self.model.rows))))
        return self.view.fontMetrics().horizontalAdvance("9" * digits) + 2 * PAD

    def _columns(self, width: int) -> list[tuple[str, int, int]]:
        """(side, x of its gutter, width of its text) for each painted column."""
        gutter = self._gutter()
        if self.inline:
            return [("inline", 0, max(60, width - 2 * gutter - 2 * PAD - GAP))]
        half = width // 2
        text_w = max(60, half - gutter - 2 * PAD - STRIPE)
        return [("old", 0, text_w), ("new", half, text_w)]

    def _width(self) -> int:
        return max(200, self.view.viewport().width())

    # --- text documents --------------------------------------------------------------------

    def _html(self, row: Row, side: str) -> str:
        c = {k: v.name() for k, v in self.c.items()}
        if side == "inline":
            return self._inline_html(row, c)
        text = row.old_text if side == "old" else row.new_text
        prefix, skip, level = display_prefix(text)
        strong = "delete+" if side == "old" else "insert+"
        if row.kind == "replace":
            spans = row.old_spans if side == "old" else row.new_spans
            body = "".join(
                _marked(t, self.term, c["find"]) if tag == "equal" else
                f'<span style="background-color:{c[strong]}">{_marked(t, self.term, c["find"])}'
                f"</span>" for tag, t in strip_spans(spans, skip))
        else:
            body = _marked(text[skip:], self.term, c["find"])
        note = ""
        if row.kind in ("moved_away", "moved_here") and row.peer is not None:
            what = "moved to" if row.kind == "moved_away" else "moved from"
            note = (f'<span style="color:{c["muted"]}; font-style:italic">'
                    f"\u21c5 {what} \u00b6 {row.peer + 1} \u2014 </span>")
        if row.kind == "moved_away":
            body = f'<span style="color:{c["muted"]}">{body}</span>'
        return self._wrap(note + html.escape(prefix) + body, level)

    def _inline_html(self, row: Row, c: dict[str, str]) -> str:
        if row.kind == "replace":
            old = strip_spans(row.old_spans, display_prefix(row.old_text)[1])
            new = strip_spans(row.new_spans, display_prefix(row.new_text)[1])
            parts, oi, ni = [], 0, 0
            # equal spans correspond one to one: emit deletions, insertions, then the shared run
            while oi < len(old) or ni < len(new):
                while oi < len(old) and old[oi][0] != "equal":
                    parts.append(f'<span style="background-color:{c["delete+"]}; '
                                 f'text-decoration:line-through">'
                                 f'{_marked(old[oi][1], self.term, c["find"])}</span>')
                    oi += 1
                while ni < len(new) and new[ni][0] != "equal":
                    parts.append(f'<span style="background-color:{c["insert+"]}">'
                                 f'{_marked(new[ni][1], self.term, c["find"])}</span>')
                    ni += 1
                if ni < len(new):
                    parts.append(_marked(new[ni][1], self.term, c["find"]))
                oi, ni = oi + 1, ni + 1
            prefix, _, level = display_prefix(row.new_text)
            return self._wrap(html.escape(prefix) + "".join(parts), level)
        side = "old" if row.kind in ("delete", "moved_away") else "new"
        inner = self._html(row, side)
        if row.kind == "delete":
            inner = f'<span style="text-decoration:line-through">{inner}</span>'
        return inner

    def _wrap(self, body: str, level: int) -> str:
        if not level:
            return body
        size = self.view.font().pointSizeF() + (2.0 if level <= 2 else 1.0)
        return f'<span style="font-weight:700; font-size:{size:.1f}pt">{body}</span>'

    def _doc(self, item: int, side: str, width: int) -> QTextDocument:
        key = (item, side, width, self.term)
        doc = self._docs.get(key)
        if doc is not None:
            self._docs.move_to_end(key)
            return doc
        doc = QTextDocument()
        doc.setDefaultFont(self.view.font())
        doc.setDocumentMargin(0)
        doc.setHtml(self._html(self.model.rows[item], side))
        doc.setTextWidth(width)
        self._docs[key] = doc
        if len(self._docs) > 4000:
            self._docs.popitem(last=False)
        return doc

    def _sides(self, row: Row) -> set[str]:
        if self.inline:
            return {"inline"}
        return {s for s, present in (("old", row.old_no is not None),
                                     ("new", row.new_no is not None)) if present}

    # --- Qt delegate API -------------------------------------------------------------------

    @guarded(QSize)
    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        item = self.model.item_at(index.row())
        width = self._width()
        line = self.view.fontMetrics().height()
        if isinstance(item, Fold) or item is None:
            return QSize(width, round(line * 1.9))
        row = self.model.rows[item]
        height = line
        for side, _, text_w in self._columns(width):
            if side in self._sides(row):
                height = max(height, self._text_height(row, side, text_w)
                             if side != "inline" else
                             round(self._doc(item, side, text_w).size().height()))
        return QSize(width, height + 2 * PAD)

    def _text_height(self, row: Row, side: str, width: int) -> int:
        """The wrapped height of a side's text from font metrics: the same line breaking as the
        painted document (highlights only change colours), a fraction of the cost of laying
        out a QTextDocument for every row of a 3000-paragraph diff when the view opens."""
        text = row.old_text if side == "old" else row.new_text
        prefix, skip, level = display_prefix(text)
        shown = prefix + text[skip:]
        if row.kind in ("moved_away", "moved_here") and row.peer is not None:
            shown = f"\u21c5 moved from \u00b6 {row.peer + 1} \u2014 " + shown
        font = QFont(self.view.font())
        if level:
            font.setPointSizeF(font.pointSizeF() + (2.0 if level <= 2 else 1.0))
            font.setBold(True)
        rect = QFontMetrics(font).boundingRect(
            QRect(0, 0, width, 1 << 24), int(Qt.TextFlag.TextWordWrap), shown)
        return rect.height() + 2  # a hair of slack against rounding between the two layouts

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        item = self.model.item_at(index.row())
        rect: QRect = option.rect
        painter.save()
        if isinstance(item, Fold):
            painter.fillRect(rect, self.c["gap"])
            painter.setPen(self.c["muted"])
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter,
                             f"\u22ef  {item.count} unchanged paragraphs \u2014 click or press "
                             "Enter to show")
        elif item is not None:
            self._paint_row(painter, rect, self.model.rows[item], item)
        if option.state & QStyle.StateFlag.State_Selected:
            pen_color = theme.palette().color(QPalette.ColorRole.Highlight)
            painter.setPen(pen_color)
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
        painter.setPen(self.c["line"])
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.restore()

    def _paint_row(self, painter: QPainter, rect: QRect, row: Row, item: int) -> None:
        gutter, fm = self._gutter(), self.view.fontMetrics()
        present = self._sides(row)
        for side, x0, text_w in self._columns(rect.width()):
            col_w = rect.width() if side == "inline" else rect.width() // 2
            area = QRect(rect.left() + x0, rect.top(), col_w, rect.height())
            if side not in present:
                painter.fillRect(area, self.c["gap"])
                continue
            bg = self._background(row, side)
            if bg is not None:
                painter.fillRect(area, bg)
                stripe = self._stripe(row, side)
                painter.fillRect(QRect(area.left(), area.top(), STRIPE, area.height()), stripe)
            painter.setPen(self.c["muted"])
            numbers = self._numbers(row, side)
            num_rect = QRect(area.left() + STRIPE, rect.top() + PAD,
                             (2 * gutter if side == "inline" else gutter) - PAD, fm.height())
            painter.drawText(num_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                             numbers)
            left = area.left() + STRIPE + (2 * gutter if side == "inline" else gutter) + PAD
            doc = self._doc(item, side, text_w)
            painter.save()
            painter.translate(left, rect.top() + PAD)
            ctx = QAbstractTextDocumentLayout.PaintContext()
            ctx.palette.setColor(QPalette.ColorRole.Text, self.c["text"])
            doc.documentLayout().draw(painter, ctx)
            painter.restore()
        if not self.inline:
            painter.setPen(self.c["line"])
            mid = rect.left() + rect.width() // 2
            painter.drawLine(mid - 1, rect.top(), mid - 1, rect.bottom())

    def _numbers(self, row: Row, side: str) -> str:
        if side == "inline":
            old = "" if row.old_no is None else str(row.old_no + 1)
            new = "" if row.new_no is None else str(row.new_no + 1)
            return f"{old:>4} {new:>4}".rstrip() if old or new else ""
        no = row.old_no if side == "old" else row.new_no
        return "" if no is None else str(no + 1)

    @staticmethod
    def _stripe(row: Row, side: str) -> QColor:
        if row.kind == "replace":
            return {"old": theme.DELETE_HUE, "new": theme.INSERT_HUE}.get(side, theme.FIND_HUE)
        return QColor(HUES[row.kind] or theme.FIND_HUE)

    def _background(self, row: Row, side: str) -> QColor | None:
        if row.kind == "equal":
            return None
        if row.kind == "replace" and side == "inline":
            return self.c["changed"]
        if row.kind == "replace":
            return self.c["delete"] if side == "old" else self.c["insert"]
        if row.kind in ("moved_away", "moved_here"):
            return self.c["move"]
        if side == "inline" and row.kind == "delete":
            return self.c["delete"]
        return self.c[row.kind]


class OverviewStrip(QWidget):
    """A thin map of the whole comparison: where the changes are, and what is on screen.
    Clicking jumps there."""

    jump = Signal(int)  # item position

    def __init__(self, view: QListView, model: DiffModel) -> None:
        super().__init__()
        self.view, self.model = view, model
        self.setFixedWidth(14)
        self.setToolTip("Overview of the changes: click to jump")
        self.setAccessibleName("Overview of changes")
        self.view.verticalScrollBar().valueChanged.connect(self.update)
        self.model.modelReset.connect(self.update)

    @guarded()
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        pal = theme.palette()
        painter.fillRect(self.rect(), pal.color(QPalette.ColorRole.AlternateBase))
        n = len(self.model.items)
        if n:
            h = self.height()
            colors = {"insert": theme.INSERT_HUE, "delete": theme.DELETE_HUE,
                      "replace": theme.FIND_HUE, "moved_away": theme.MOVE_HUE,
                      "moved_here": theme.MOVE_HUE}
            for pos, item in enumerate(self.model.items):
                if isinstance(item, int) and self.model.rows[item].changed:
                    y = int(pos * h / n)
                    color = colors[self.model.rows[item].kind]
                    painter.fillRect(2, y, self.width() - 4, max(2, int(h / n)), color)
            first = self.view.indexAt(self.view.viewport().rect().topLeft()).row()
            last = self.view.indexAt(self.view.viewport().rect().bottomLeft()).row()
            if first >= 0:
                last = n - 1 if last < 0 else last
                frame = pal.color(QPalette.ColorRole.Text)
                frame.setAlpha(110)
                painter.setPen(frame)
                painter.drawRect(0, int(first * h / n), self.width() - 1,
                                 max(4, int((last - first + 1) * h / n)))
        painter.end()

    @guarded()
    def mousePressEvent(self, event: QMouseEvent) -> None:
        n = len(self.model.items)
        if n:
            self.jump.emit(min(n - 1, int(event.position().y() / max(1, self.height()) * n)))
