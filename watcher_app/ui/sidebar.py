"""The sidebar: Activity and the notification log, then each watched platform with its
documents, their health (ok / blocked / failing), unread changes and last verification.

A document being checked shows a spinner in place of its health icon. Rows are painted by a
delegate so the badge and the second line stay readable in light and dark themes.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
)

from watcher_app.offline import WAITING_LINE, is_connection_failure, plain_failure
from watcher_app.ui import links, theme
from watcher_app.ui.queries import DocStatus, PlatformStatus
from watcher_app.ui.runtime import guarded

KeyRole = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex
ICON = 16


def doc_line(doc: DocStatus, offline: bool = False) -> str:
    """The second line of a document row: a plain sentence (the raw error is in the row's
    tooltip). While the machine is offline no row is "failing": they wait for the network."""
    if offline and doc.last_check_at is not None:
        return WAITING_LINE
    if doc.health == "blocked":
        return f"Blocked: {doc.last_reason or 'needs attention'}"
    if doc.health == "failing":
        why = (plain_failure(doc.last_code, doc.last_reason)
               if is_connection_failure(doc.last_code, doc.last_reason)
               else doc.last_reason or "error")
        return f"Failing ({doc.failures}\u00d7): {why}"
    if doc.health == "pending":
        return "Not checked yet"
    if doc.health == "degraded":  # the declared selector stopped matching (drift.py)
        return (f"Read with a fallback selector \u00b7 verified "
                f"{theme.ago(doc.last_verified or doc.last_check_at)}")
    return f"Verified {theme.ago(doc.last_verified or doc.last_check_at)}"


class _Delegate(QStyledItemDelegate):
    def __init__(self, sidebar: Sidebar) -> None:
        super().__init__(sidebar)
        self.sidebar = sidebar

    @guarded(QSize)
    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        key = self.sidebar.key_of(index)
        lines = 2 if key.startswith("d:") else 1
        h = self.sidebar.fontMetrics().height()
        return QSize(200, lines * h + (10 if lines == 2 else 12))

    @guarded()
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        sb = self.sidebar
        key = sb.key_of(index)
        style = sb.style()
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text, opt.icon = "", QIcon()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, sb)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        pal = option.palette
        text_color = pal.color(QPalette.ColorRole.HighlightedText if selected
                               else QPalette.ColorRole.Text)
        muted = text_color if selected else theme.muted_text()
        rect: QRect = option.rect.adjusted(4, 0, -6, 0)
        fm = sb.fontMetrics()
        painter.save()
        # icon or spinner
        icon_rect = QRect(rect.left(), rect.top() + (fm.height() + 10 - ICON) // 2 + 1
                          if key.startswith("d:") else rect.center().y() - ICON // 2,
                          ICON, ICON)
        if key.startswith("d:") and int(key[2:]) in sb.checking:
            self._spinner(painter, icon_rect, pal.color(QPalette.ColorRole.Highlight))
        else:
            sb.icon_for(key).paint(painter, icon_rect)
        left = icon_rect.right() + 8
        badge = sb.unread_for(key)
        badge_w = 0
        if badge:
            text = str(badge)
            badge_w = max(fm.horizontalAdvance(text) + 12, fm.height() + 4)
            pill = QRect(rect.right() - badge_w, icon_rect.center().y() - fm.height() // 2 - 1,
                         badge_w, fm.height() + 2)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pal.color(QPalette.ColorRole.Highlight) if not selected
                             else pal.color(QPalette.ColorRole.HighlightedText))
            painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            painter.setPen(pal.color(QPalette.ColorRole.HighlightedText) if not selected
                           else pal.color(QPalette.ColorRole.Highlight))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        title = sb.title_for(key)
        font = sb.font()
        if key.startswith("p:") or (key.startswith("nav:") and badge):
            font = theme.bold(font)
        painter.setFont(font)
        painter.setPen(text_color)
        width = rect.right() - left - badge_w - 6
        top = rect.top() + 5 if key.startswith("d:") else rect.top()
        line_h = fm.height() if key.startswith("d:") else rect.height()
        painter.drawText(QRect(left, top, width, line_h), Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight,
                                                          width))
        if key.startswith("d:"):
            doc = sb.docs.get(int(key[2:]))
            sub = "Checking\u2026" if int(key[2:]) in sb.checking else (
                doc_line(doc, sb.offline) if doc else "")
            small = sb.font()
            small.setPointSizeF(small.pointSizeF() * 0.9)
            painter.setFont(small)
            painter.setPen(muted)
            painter.drawText(QRect(left, top + fm.height(), rect.right() - left, fm.height()),
                             Qt.AlignmentFlag.AlignVCenter,
                             painter.fontMetrics().elidedText(sub, Qt.TextElideMode.ElideRight,
                                                              rect.right() - left))
        painter.restore()

    def _spinner(self, painter: QPainter, rect: QRect, color: QColor) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(color, 2.2)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        angle = (self.sidebar.frame * 30) % 360
        painter.drawArc(rect.adjusted(2, 2, -2, -2), -angle * 16, 270 * 16)


class Sidebar(QTreeWidget):
    navigate = Signal(str, object)  # "activity" | "alerts" | "platform" | "document", id
    check_requested = Signal(object)  # list of document ids
    unwatch_requested = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setHeaderHidden(True)
        self.setRootIsDecorated(True)
        self.setIndentation(14)
        self.setAccessibleName("Watched platforms")
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setItemDelegate(_Delegate(self))
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setMinimumWidth(190)  # names elide: leaves the diff room on a 1024 px screen
        self.platforms: dict[str, PlatformStatus] = {}
        self.docs: dict[int, DocStatus] = {}
        self.checking: set[int] = set()
        self.alerts_unread = 0
        self.offline = False  # set by the window: every row waits for the network
        self.frame = 0
        self._items: dict[str, QTreeWidgetItem] = {}
        self._spin = QTimer(self)
        self._spin.setInterval(80)
        self._spin.timeout.connect(self._tick)
        self.currentItemChanged.connect(self._current_changed)
        self.customContextMenuRequested.connect(self._menu)
        for key, title in (("nav:activity", "Activity"), ("nav:alerts", "Notification log")):
            self._add(key, title, None)

    # --- data --------------------------------------------------------------------------------

    def _add(self, key: str, title: str, parent: QTreeWidgetItem | None) -> QTreeWidgetItem:
        item = QTreeWidgetItem([title])
        item.setData(0, KeyRole, key)
        item.setData(0, Qt.ItemDataRole.AccessibleTextRole, title)
        (parent.addChild(item) if parent is not None else self.addTopLevelItem(item))
        self._items[key] = item
        return item

    @staticmethod
    def _key(item: QTreeWidgetItem | None) -> str:
        # Every item has its key set, so this never converts an empty QVariant.
        return str(item.data(0, KeyRole)) if item is not None else ""

    def key_of(self, index: Index) -> str:
        # the proxy-free tree hands out persistent indexes too: the item is the same
        plain = index if isinstance(index, QModelIndex) else self.model().index(
            index.row(), index.column(), index.parent())
        return self._key(self.itemFromIndex(plain))

    def refresh(self, platforms: list[PlatformStatus]) -> None:
        """Rebuild the platform rows, keeping the selection and expanded platforms."""
        current = self._key(self.currentItem())
        expanded = {k for k, it in self._items.items() if k.startswith("p:") and it.isExpanded()}
        first = not any(k.startswith("p:") for k in self._items)
        for key in [k for k in self._items if k.startswith(("p:", "d:"))]:
            item = self._items.pop(key)
            if key.startswith("p:"):  # taking a platform out deletes its document rows too
                self.takeTopLevelItem(self.indexOfTopLevelItem(item))
        self.platforms = {p.id: p for p in platforms}
        self.docs = {d.id: d for p in platforms for d in p.documents}
        self.blockSignals(True)
        for plat in platforms:
            item = self._add(f"p:{plat.id}", plat.name, None)
            for doc in plat.documents:
                row = self._add(f"d:{doc.id}", doc.type, item)
                if doc.last_reason and doc.health != "ok":  # the raw detail, for who wants it
                    row.setToolTip(0, links.tooltip(f"{doc.type}: {doc.last_reason}"))
            item.setExpanded(first or f"p:{plat.id}" in expanded)
            health = WAITING_LINE if self.offline else theme.HEALTH_LABELS[plat.health]
            item.setToolTip(0, links.tooltip(f"{plat.name}: {health}, "
                                             f"{theme.plural(plat.unread, 'unread change')}"))
        if current in self._items:
            self.setCurrentItem(self._items[current])
        self.blockSignals(False)
        self.viewport().update()

    def title_for(self, key: str) -> str:
        return self._items[key].text(0) if key in self._items else ""

    def unread_for(self, key: str) -> int:
        if key == "nav:activity":
            return sum(p.unread for p in self.platforms.values())
        if key.startswith("p:"):
            plat = self.platforms.get(key[2:])
            return plat.unread if plat else 0
        if key.startswith("d:"):
            doc = self.docs.get(int(key[2:]))
            return doc.unread if doc else 0
        return 0

    def icon_for(self, key: str) -> QIcon:
        if key == "nav:activity":
            return theme.icon("activity")
        if key == "nav:alerts":
            return theme.icon("bell")
        status = self.platforms.get(key[2:]) if key.startswith("p:") else \
            self.docs.get(int(key[2:]))
        if self.offline:  # grey, not red: nothing is wrong with the documents themselves
            return theme.icon("health-pending")
        health = status.health if status else "pending"
        # degraded: the text is verified (ok's icon); its line and tooltip say how it was read
        return theme.icon(f"health-{'ok' if health == 'degraded' else health}")

    def set_checking(self, doc_id: int, on: bool) -> None:
        (self.checking.add if on else self.checking.discard)(doc_id)
        if self.checking and not self._spin.isActive():
            self._spin.start()
        elif not self.checking:
            self._spin.stop()
        item = self._items.get(f"d:{doc_id}")  # that row only: checks run many at once
        self.viewport().update(self.visualItemRect(item) if item is not None else QRect())

    def clear_checking(self) -> None:
        self.checking.clear()
        self._spin.stop()
        self.viewport().update()

    def select(self, key: str) -> None:
        if key in self._items:
            self.setCurrentItem(self._items[key])

    def selected_documents(self) -> list[int]:
        """The documents "Check now" applies to: the selected one, or a platform's."""
        key = self._key(self.currentItem())
        if key.startswith("d:"):
            return [int(key[2:])]
        if key.startswith("p:") and key[2:] in self.platforms:
            return [d.id for d in self.platforms[key[2:]].documents]
        return []

    # --- events ------------------------------------------------------------------------------

    def _tick(self) -> None:
        self.frame += 1
        for doc_id in self.checking:
            item = self._items.get(f"d:{doc_id}")
            if item is not None:
                self.viewport().update(self.visualItemRect(item))

    def _current_changed(self, item: QTreeWidgetItem | None, _prev: object) -> None:
        key = self._key(item)
        if key == "nav:activity":
            self.navigate.emit("activity", None)
        elif key == "nav:alerts":
            self.navigate.emit("alerts", None)
        elif key.startswith("p:"):
            self.navigate.emit("platform", key[2:])
        elif key.startswith("d:"):
            self.navigate.emit("document", int(key[2:]))

    def _menu(self, pos: QPoint) -> None:
        item = self.itemAt(pos)
        key = self._key(item)
        if item is None or not key.startswith(("p:", "d:")):
            return
        self.setCurrentItem(item)
        menu = QMenu(self)
        docs = self.selected_documents()
        menu.addAction(theme.icon("refresh"), "&Check now",
                       lambda: self.check_requested.emit(docs))
        if key.startswith("p:"):
            menu.addSeparator()
            menu.addAction("&Unwatch platform\u2026", lambda: self.unwatch_requested.emit(key[2:]))
        menu.exec(self.viewport().mapToGlobal(pos))
