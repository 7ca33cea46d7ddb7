"""The picker's catalogue as a Qt model: 400+ platforms with their documents, searchable at
typing speed.

A QStandardItemModel (platforms, then their documents as child rows) and a filter proxy that
matches every typed word against a precomputed haystack role with one regular expression:
the filtering runs in C++, with no Python call per row (a Python model took 17 ms a keystroke,
mostly in index()/rowCount() calls from the proxy; bench/bench_picker.py measures it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from PySide6.QtCore import QRegularExpression, QSortFilterProxyModel, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

ID_ROLE = Qt.ItemDataRole.UserRole
HAYSTACK_ROLE = Qt.ItemDataRole.UserRole + 1
HEADERS = ("Platform / document", "Origin", "Details")


@dataclass
class CatalogRow:
    id: str
    name: str
    origin: str  # "bundled", "ota:<collection>", "imported", "custom"
    origin_label: str  # "Bundled", "OTA genai-eu"
    documents: list[tuple[str, list[str]]]  # (type, urls)
    backing: str = ""  # OTA services behind a bundled platform, for its tooltip
    # per document type: the declaration's OTA filters the app does not run, and what that
    # costs ("1 filter not run: …"), so the user knows before watching
    gaps: dict[str, tuple[str, str]] = field(default_factory=dict)
    haystack: str = field(init=False)

    def __post_init__(self) -> None:
        self.haystack = " ".join([self.id, self.name, self.origin_label,
                                  *(t for t, _ in self.documents)]).lower()

    @property
    def detail(self) -> str:
        names = [t for t, _ in self.documents]
        return ", ".join(names[:3]) + (f" +{len(names) - 3} more" if len(names) > 3 else "")


def _item(text: str, tooltip: str = "") -> QStandardItem:
    item = QStandardItem(text)
    item.setEditable(False)
    if tooltip:
        item.setToolTip(tooltip)  # plain text: nothing from a declaration is HTML here
    return item


def build_model(rows: list[CatalogRow], checked: set[str]) -> QStandardItemModel:
    """One checkable row per platform; its documents as children (type, URL)."""
    model = QStandardItemModel(0, len(HEADERS))
    model.setHorizontalHeaderLabels(list(HEADERS))
    root = model.invisibleRootItem()
    for row in rows:
        name = _item(row.name, f"id: {row.id}")
        name.setCheckable(True)
        name.setCheckState(Qt.CheckState.Checked if row.id in checked
                           else Qt.CheckState.Unchecked)
        name.setData(row.id, ID_ROLE)
        name.setData(row.haystack, HAYSTACK_ROLE)
        for doc_type, urls in row.documents:
            child = _item(doc_type)
            child.setData(row.haystack, HAYSTACK_ROLE)  # shown whenever its platform is
            note, why = row.gaps.get(doc_type, ("", ""))
            name.appendRow([child, _item(note, why),
                             _item(urls[0] if urls else "", "\n".join(urls))])
        root.appendRow([name, _item(row.origin_label, row.backing or row.origin_label),
                        _item(row.detail, "\n".join(t for t, _ in row.documents))])
    return model


class CatalogFilter(QSortFilterProxyModel):
    """Platforms whose id, name, origin or document types contain every typed word (in any
    order); the documents of a shown platform are all shown."""

    def __init__(self, model: QStandardItemModel) -> None:
        super().__init__()
        self.setSourceModel(model)
        self.setFilterRole(HAYSTACK_ROLE)
        self.setFilterKeyColumn(0)

    def set_text(self, text: str) -> None:
        words = text.lower().split()
        pattern = "^" + "".join(f"(?=.*{re.escape(w)})" for w in words) if words else ""
        self.setFilterRegularExpression(QRegularExpression(
            pattern, QRegularExpression.PatternOption.DotMatchesEverythingOption))

    def visible_ids(self) -> list[str]:
        return [str(self.index(r, 0).data(ID_ROLE)) for r in range(self.rowCount())]
