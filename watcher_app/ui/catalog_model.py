"""The picker's catalogue as a Qt model: 400+ platforms with their documents, searchable at
typing speed.

A two-level tree model (platforms, then their documents) over plain Python rows, and a filter
proxy that decides visibility from a precomputed set of matching rows: one keystroke is one
pass of `str in str` over the haystacks plus one `set` lookup per row, instead of a widget per
row to show or hide (bench/bench_picker.py measures it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from watcher_app.ui.runtime import guarded

Index = QModelIndex | QPersistentModelIndex
TOP = 0  # internalId of a platform row; a document row stores its platform's row + 1
ID_ROLE = Qt.ItemDataRole.UserRole
_ROOT = QModelIndex()  # the invalid index: Qt's default parent


@dataclass
class CatalogRow:
    id: str
    name: str
    origin: str  # "bundled", "ota:<collection>", "imported", "custom"
    origin_label: str  # "Bundled", "OTA genai-eu"
    documents: list[tuple[str, list[str]]]  # (type, urls)
    backing: str = ""  # OTA services behind a bundled platform, for its tooltip
    haystack: str = field(init=False)

    def __post_init__(self) -> None:
        self.haystack = " ".join([self.id, self.name, self.origin_label,
                                  *(t for t, _ in self.documents)]).lower()

    @property
    def detail(self) -> str:
        names = [t for t, _ in self.documents]
        return ", ".join(names[:3]) + (f" +{len(names) - 3} more" if len(names) > 3 else "")


class CatalogModel(QAbstractItemModel):
    HEADERS = ("Platform / document", "Origin", "Details")

    def __init__(self, rows: list[CatalogRow], checked: set[str],
                 allow_check: Callable[[str], bool]) -> None:
        super().__init__()
        self.rows, self.checked, self.allow_check = rows, set(checked), allow_check
        self.row_of = {row.id: i for i, row in enumerate(rows)}

    # --- structure --------------------------------------------------------------------------

    @guarded(QModelIndex)
    def index(self, row: int, column: int, parent: Index = _ROOT) -> QModelIndex:
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, TOP)
        return self.createIndex(row, column, parent.row() + 1)

    @guarded(QModelIndex)
    def parent(self, child: Index = _ROOT) -> QModelIndex:  # type: ignore[override]
        if not child.isValid() or child.internalId() == TOP:
            return QModelIndex()
        return self.createIndex(child.internalId() - 1, 0, TOP)

    @guarded(lambda: 0)
    def rowCount(self, parent: Index = _ROOT) -> int:
        if not parent.isValid():
            return len(self.rows)
        if parent.internalId() == TOP and parent.column() == 0:
            return len(self.rows[parent.row()].documents)
        return 0

    def columnCount(self, parent: Index = _ROOT) -> int:
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    # --- content ------------------------------------------------------------------------------

    @guarded()
    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        col, ident = index.column(), index.internalId()
        if ident != TOP:  # a document of platform row ident - 1
            doc_type, urls = self.rows[ident - 1].documents[index.row()]
            if role == Qt.ItemDataRole.DisplayRole:
                return (doc_type, "", urls[0] if urls else "")[col]
            if role == Qt.ItemDataRole.ToolTipRole and col == 2:
                return "\n".join(urls)  # plain text: never rendered as HTML
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.name, row.origin_label, row.detail)[col]
        if role == Qt.ItemDataRole.CheckStateRole and col == 0:
            return (Qt.CheckState.Checked if row.id in self.checked
                    else Qt.CheckState.Unchecked)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 0:
                return f"id: {row.id}"
            if col == 1:
                return row.backing or row.origin_label
            return "\n".join(t for t, _ in row.documents)
        if role == ID_ROLE:
            return row.id
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid() and index.internalId() == TOP and index.column() == 0:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base

    @guarded(lambda: False)
    def setData(self, index: Index, value: object,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or index.internalId() != TOP:
            return False
        pid = self.rows[index.row()].id
        wanted = value in (Qt.CheckState.Checked, Qt.CheckState.Checked.value, 2)
        return self.set_checked(pid, wanted)

    def set_checked(self, pid: str, wanted: bool) -> bool:
        """Tick or untick one platform; a tick the dialog refuses (the eleventh) is undone."""
        if wanted and pid not in self.checked and not self.allow_check(pid):
            return False
        (self.checked.add if wanted else self.checked.discard)(pid)
        row = self.row_of.get(pid)
        if row is not None:
            cell = self.index(row, 0)
            self.dataChanged.emit(cell, cell, [Qt.ItemDataRole.CheckStateRole])
        return True


class CatalogFilter(QSortFilterProxyModel):
    """Platforms whose id, name, origin or document types contain every typed word; the
    documents of a shown platform are all shown."""

    def __init__(self, model: CatalogModel) -> None:
        super().__init__()
        self.setSourceModel(model)
        self._model = model
        self._visible: set[int] | None = None

    def set_text(self, text: str) -> None:
        words = text.lower().split()
        self._visible = None if not words else {
            i for i, row in enumerate(self._model.rows)
            if all(w in row.haystack for w in words)}
        if hasattr(self, "endFilterChange"):  # Qt 6.10 deprecates invalidateRowsFilter()
            self.beginFilterChange()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateRowsFilter()

    @guarded(lambda: True)
    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if source_parent.isValid():
            return True
        return self._visible is None or source_row in self._visible

    def visible_ids(self) -> list[str]:
        return [str(self.index(r, 0).data(ID_ROLE)) for r in range(self.rowCount())]
