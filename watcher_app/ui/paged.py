"""A table model that reads its rows a page at a time (canFetchMore / fetchMore).

Used by the feed, the check history and the notification log: the view asks for the next page
only when the user scrolls near the end, so a database with years of checks opens instantly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QIcon

from watcher_app.ui.links import tooltip
from watcher_app.ui.runtime import guarded

T = TypeVar("T")
ObjectRole = Qt.ItemDataRole.UserRole + 1  # the row object behind an index
Index = QModelIndex | QPersistentModelIndex


@dataclass
class Column(Generic[T]):
    title: str
    text: Callable[[T], str]
    tooltip: Callable[[T], str] | None = None
    icon: Callable[[T], QIcon | None] | None = None
    align_right: bool = False


class PagedTableModel(QAbstractTableModel, Generic[T]):
    def __init__(self, columns: list[Column[T]], fetch: Callable[[int, int], list[T]], *,
                 page: int = 100, font: Callable[[T], QFont | None] | None = None,
                 foreground: Callable[[T], QColor | None] | None = None,
                 accessible: Callable[[T], str] | None = None) -> None:
        super().__init__()
        self.columns, self._fetch, self.page = columns, fetch, page
        self._font, self._foreground, self._accessible = font, foreground, accessible
        self.rows: list[T] = []
        self._exhausted = False

    # --- loading ---------------------------------------------------------------------------

    def wanted(self) -> int:
        """How many rows a reload re-reads: as many as are loaded (at least a page)."""
        return max(self.page, len(self.rows))

    def reload(self, rows: list[T] | None = None) -> None:
        """Re-read from the top, keeping as many rows as were loaded (scroll position stays
        meaningful after a refresh). `rows`: already read (off the GUI thread) for wanted()."""
        keep = self.wanted()
        self.beginResetModel()
        self.rows = self._fetch(0, keep) if rows is None else rows
        self._exhausted = len(self.rows) < keep
        self.endResetModel()

    def set_fetch(self, fetch: Callable[[int, int], list[T]]) -> None:
        self._fetch = fetch
        self.beginResetModel()
        self.rows = self._fetch(0, self.page)
        self._exhausted = len(self.rows) < self.page
        self.endResetModel()

    @guarded(bool)
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008 - Qt API
        return not parent.isValid() and not self._exhausted

    @guarded()
    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008 - Qt API
        if parent.isValid() or self._exhausted:
            return
        more = self._fetch(len(self.rows), self.page)
        self._exhausted = len(more) < self.page
        if more:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(more) - 1)
            self.rows.extend(more)
            self.endInsertRows()

    def row_at(self, row: int) -> T | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    # --- Qt model API ------------------------------------------------------------------------

    @guarded(int)
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self.rows)

    @guarded(int)
    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self.columns)

    @guarded()
    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        return None

    @guarded()
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = self.rows[index.row()], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.text(row)
        if role == Qt.ItemDataRole.ToolTipRole and col.tooltip is not None:
            return tooltip(col.tooltip(row))  # reasons and summaries quote pages: as text
        if role == Qt.ItemDataRole.DecorationRole and col.icon is not None:
            return col.icon(row)
        if role == Qt.ItemDataRole.FontRole and self._font is not None:
            return self._font(row)
        if role == Qt.ItemDataRole.ForegroundRole and self._foreground is not None:
            return self._foreground(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and col.align_right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole and self._accessible is not None:
            return self._accessible(row)
        if role == ObjectRole:
            return row
        return None
